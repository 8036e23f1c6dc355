import type { Selectable } from 'kysely';
import type { ProviderAccountTable } from './schema.js';
import type { Db } from './store.js';

export type ProviderAccountRecord = Selectable<ProviderAccountTable>;

/** A wallet's account with a provider, created or replaced (one per wallet and provider). */
export async function upsertProviderAccount(db: Db, account: ProviderAccountRecord): Promise<void> {
  await db
    .insertInto('provider_accounts')
    .values(account)
    .onConflict((oc) =>
      oc.columns(['wallet_id', 'provider']).doUpdateSet({
        methods: account.methods,
        config: account.config,
        secrets_sealed: account.secrets_sealed,
        updated_at: account.updated_at,
      }),
    )
    .execute();
}

export async function findProviderAccount(db: Db, id: string): Promise<ProviderAccountRecord | undefined> {
  return db.selectFrom('provider_accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listProviderAccountsOfWallet(db: Db, walletId: string): Promise<ProviderAccountRecord[]> {
  return db.selectFrom('provider_accounts').selectAll().where('wallet_id', '=', walletId).orderBy('provider').execute();
}

/** Answers whether there was one to remove. */
export async function deleteProviderAccount(db: Db, walletId: string, provider: string): Promise<boolean> {
  const result = await db.deleteFrom('provider_accounts').where('wallet_id', '=', walletId).where('provider', '=', provider).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}
