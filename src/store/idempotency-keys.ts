import type { Selectable } from 'kysely';
import type { IdempotencyKeyTable } from './schema.js';
import type { Db } from './store.js';

export type IdempotencyKeyRecord = Selectable<IdempotencyKeyTable>;

/** Claims the key for a first request; answers false when the key is taken (the row is then read). */
export async function claimIdempotencyKey(db: Db, row: Omit<IdempotencyKeyRecord, 'status' | 'answer'>): Promise<boolean> {
  const result = await db
    .insertInto('idempotency_keys')
    .values({ ...row, status: 'started', answer: null })
    .onConflict((oc) => oc.columns(['user_id', 'key']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}

export async function findIdempotencyKey(db: Db, userId: string, key: string): Promise<IdempotencyKeyRecord | undefined> {
  return db.selectFrom('idempotency_keys').selectAll().where('user_id', '=', userId).where('key', '=', key).executeTakeFirst();
}

/** Records the first request's answer, which every repeat is given. */
export async function finishIdempotencyKey(db: Db, userId: string, key: string, answer: string): Promise<void> {
  await db.updateTable('idempotency_keys').set({ status: 'done', answer }).where('user_id', '=', userId).where('key', '=', key).execute();
}

/** Forgets the keys made before `before` (refunds and barcode charges are few: one statement does). */
export async function pruneIdempotencyKeys(db: Db, before: number): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('created_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
