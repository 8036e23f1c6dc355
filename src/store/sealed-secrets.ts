import type { Db } from './store.js';

/**
 * Every column that holds a secret sealed with SECRET_KEY (see SecretBox), so that a key
 * rotation re-seals all of them and a start-up check can try one. A new sealed column is
 * added here, and nowhere else needs to know.
 */
const SEALED_COLUMNS = [
  { table: 'users', id: 'id', columns: ['api_key_sealed', 'api_key_previous_sealed'] },
  { table: 'provider_accounts', id: 'id', columns: ['secrets_sealed'] },
  { table: 'portal_users', id: 'id', columns: ['totp_secret_sealed'] },
] as const;

/** One sealed secret, if the database holds any (to check a key against). */
export async function findAnySealedSecret(db: Db): Promise<string | undefined> {
  for (const { table, columns } of SEALED_COLUMNS) {
    const row = await db
      .selectFrom(table)
      .select(columns[0])
      .where(columns[0], 'is not', null)
      .limit(1)
      .executeTakeFirst();
    const value = row?.[columns[0]];
    if (typeof value === 'string') return value;
  }
  return undefined;
}

/**
 * Re-seals every sealed secret with `reseal` (open with the old key, seal with the new),
 * inside the caller's transaction. Answers how many secrets were re-sealed.
 */
export async function resealAllSecrets(trx: Db, reseal: (sealed: string) => string): Promise<number> {
  let count = 0;
  for (const { table, id, columns } of SEALED_COLUMNS) {
    const rows = await trx.selectFrom(table).select([id, ...columns]).execute();
    for (const row of rows) {
      const changes: Record<string, string> = {};
      for (const column of columns) {
        const sealed = (row as Record<string, unknown>)[column];
        if (typeof sealed === 'string') {
          changes[column] = reseal(sealed);
          count++;
        }
      }
      if (Object.keys(changes).length > 0) {
        await trx.updateTable(table).set(changes).where(id, '=', (row as Record<string, string>)[id]).execute();
      }
    }
  }
  return count;
}
