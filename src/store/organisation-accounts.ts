import type { Db } from './store.js';
import type { WalletRecord } from './merchants.js';

/** An API user of an organisation as the portal shows it: never its key. */
export interface OrganisationUser {
  id: string;
  name: string;
  active: boolean;
  /** Until when the key before the last rotation is still accepted (epoch ms); null: none is. */
  previous_key_until: number | null;
  /** The wallets the user may use, by id. */
  wallet_ids: string[];
}

const WALLET_COLUMNS = ['id', 'organisation_id', 'name', 'currency', 'methods', 'single_limit_minor', 'test'] as const;

/** The organisation's API users with the wallets each may use, by user id. */
export async function listOrganisationUsers(db: Db, organisationId: number): Promise<OrganisationUser[]> {
  const users = await db
    .selectFrom('users')
    .select(['id', 'name', 'active', 'api_key_previous_until'])
    .where('organisation_id', '=', organisationId)
    .orderBy('id')
    .execute();
  if (users.length === 0) return [];
  const assignments = await db
    .selectFrom('wallet_users')
    .select(['wallet_id', 'user_id'])
    .where(
      'user_id',
      'in',
      users.map((u) => u.id),
    )
    .orderBy('wallet_id')
    .execute();
  return users.map((u) => ({
    id: u.id,
    name: u.name,
    active: Number(u.active) === 1,
    previous_key_until: u.api_key_previous_until === null ? null : Number(u.api_key_previous_until),
    wallet_ids: assignments.filter((a) => a.user_id === u.id).map((a) => a.wallet_id),
  }));
}

/** The organisation's wallets, by id. */
export async function listOrganisationWallets(db: Db, organisationId: number): Promise<WalletRecord[]> {
  return db.selectFrom('wallets').select(WALLET_COLUMNS).where('organisation_id', '=', organisationId).orderBy('id').execute();
}

/**
 * The API user a payment link made in the portal belongs to: the first active user of the
 * organisation assigned to the wallet (its key signs the link's notification, and the API
 * finds the invoice under it). Undefined when no active user may use the wallet.
 */
export async function findWalletOwnerUser(db: Db, organisationId: number, walletId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('wallet_users')
    .innerJoin('users', 'users.id', 'wallet_users.user_id')
    .innerJoin('wallets', 'wallets.id', 'wallet_users.wallet_id')
    .select('users.id')
    .where('wallet_users.wallet_id', '=', walletId)
    .where('wallets.organisation_id', '=', organisationId)
    .where('users.organisation_id', '=', organisationId)
    .where('users.active', '=', 1)
    .orderBy('users.id')
    .executeTakeFirst();
  return row?.id;
}
