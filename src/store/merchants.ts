import type { Insertable, Selectable } from 'kysely';
import type { UserTable, WalletTable } from './schema.js';
import type { Db } from './store.js';

export type UserRecord = Omit<Selectable<UserTable>, 'created_at'>;
export type NewUser = Omit<Insertable<UserTable>, 'created_at'>;

export type WalletRecord = Omit<Selectable<WalletTable>, 'created_at'>;
export type NewWallet = Omit<Insertable<WalletTable>, 'created_at'>;

const USER_COLUMNS = ['id', 'organisation_id', 'name', 'api_key_sealed', 'active', 'api_key_previous_sealed', 'api_key_previous_until', 'legacy_signatures'] as const;
const WALLET_COLUMNS = ['id', 'organisation_id', 'name', 'currency', 'methods', 'single_limit_minor', 'test'] as const;

export async function insertOrganisation(db: Db, name: string, now: number): Promise<number> {
  const row = await db.insertInto('organisations').values({ name, created_at: now }).returning('id').executeTakeFirstOrThrow();
  return Number(row.id);
}

export async function insertUser(db: Db, user: NewUser, now: number): Promise<void> {
  await db.insertInto('users').values({ ...user, created_at: now }).execute();
}

export async function insertWallet(db: Db, wallet: NewWallet, now: number): Promise<void> {
  await db.insertInto('wallets').values({ ...wallet, created_at: now }).execute();
}

export async function assignWallet(db: Db, walletId: string, userId: string): Promise<void> {
  await db.insertInto('wallet_users').values({ wallet_id: walletId, user_id: userId }).execute();
}

export async function findUser(db: Db, userId: string): Promise<UserRecord | undefined> {
  return db
    .selectFrom('users')
    .select(USER_COLUMNS)
    .where('id', '=', userId)
    .executeTakeFirst();
}

/** The wallet, only when `userId` is assigned to it. */
export async function findAssignedWallet(db: Db, walletId: string, userId: string): Promise<WalletRecord | undefined> {
  return db
    .selectFrom('wallets')
    .innerJoin('wallet_users', 'wallet_users.wallet_id', 'wallets.id')
    .select(WALLET_COLUMNS.map((c) => `wallets.${c}` as const))
    .where('wallets.id', '=', walletId)
    .where('wallet_users.user_id', '=', userId)
    .executeTakeFirst();
}

export async function findOrganisationName(db: Db, organisationId: number): Promise<string | undefined> {
  const row = await db.selectFrom('organisations').select('name').where('id', '=', organisationId).executeTakeFirst();
  return row?.name;
}

export async function countOrganisations(db: Db): Promise<number> {
  const row = await db.selectFrom('organisations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** A wallet by id, whoever it is assigned to (for answers about an existing order). */
export async function findWallet(db: Db, walletId: string): Promise<WalletRecord | undefined> {
  return db
    .selectFrom('wallets')
    .select(WALLET_COLUMNS)
    .where('id', '=', walletId)
    .executeTakeFirst();
}

/** Every user with its organisation's name, by user id. */
export async function listUsers(db: Db): Promise<Array<UserRecord & { organisation_name: string }>> {
  return db
    .selectFrom('users')
    .innerJoin('organisations', 'organisations.id', 'users.organisation_id')
    .select([...USER_COLUMNS.map((c) => `users.${c}` as const), 'organisations.name as organisation_name'])
    .orderBy('users.id')
    .execute();
}

/** The wallets `userId` may use. */
export async function listWalletsOfUser(db: Db, userId: string): Promise<WalletRecord[]> {
  return db
    .selectFrom('wallets')
    .innerJoin('wallet_users', 'wallet_users.wallet_id', 'wallets.id')
    .select(WALLET_COLUMNS.map((c) => `wallets.${c}` as const))
    .where('wallet_users.user_id', '=', userId)
    .orderBy('wallets.id')
    .execute();
}

/** The wallets of an organisation, by id. */
export async function listWalletsOfOrganisation(db: Db, organisationId: number): Promise<WalletRecord[]> {
  return db.selectFrom('wallets').select(WALLET_COLUMNS).where('organisation_id', '=', organisationId).orderBy('id').execute();
}

/** Changes a user's row; answers false when there is no such user. */
export async function updateUser(
  db: Db,
  userId: string,
  changes: Partial<Pick<UserRecord, 'active' | 'api_key_sealed' | 'api_key_previous_sealed' | 'api_key_previous_until' | 'legacy_signatures'>>,
): Promise<boolean> {
  const result = await db.updateTable('users').set(changes).where('id', '=', userId).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
