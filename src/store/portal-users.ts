import type { Selectable } from 'kysely';
import type { PortalUserTable } from './schema.js';
import type { Db } from './store.js';

export type PortalUserRecord = Selectable<PortalUserTable>;

export async function insertPortalUser(db: Db, user: Omit<PortalUserRecord, 'active' | 'totp_last_step'>): Promise<void> {
  await db.insertInto('portal_users').values(user).execute();
}

export async function findPortalUser(db: Db, userId: string): Promise<PortalUserRecord | undefined> {
  return db.selectFrom('portal_users').selectAll().where('id', '=', userId).executeTakeFirst();
}

/** By email, lowercased by the caller. */
export async function findPortalUserByEmail(db: Db, email: string): Promise<PortalUserRecord | undefined> {
  return db.selectFrom('portal_users').selectAll().where('email', '=', email).executeTakeFirst();
}

/** The members of an organisation (or, with null, the operators), by email. */
export async function listPortalUsers(db: Db, organisationId: number | null): Promise<PortalUserRecord[]> {
  const query = db.selectFrom('portal_users').selectAll();
  return (organisationId === null ? query.where('organisation_id', 'is', null) : query.where('organisation_id', '=', organisationId)).orderBy('email').execute();
}

/** Changes a portal user's row; answers false when there is no such user. */
export async function updatePortalUser(
  db: Db,
  userId: string,
  changes: Partial<Pick<PortalUserRecord, 'role' | 'password_hash' | 'totp_secret_sealed' | 'totp_last_step' | 'active'>> & { updated_at: number },
): Promise<boolean> {
  const result = await db.updateTable('portal_users').set(changes).where('id', '=', userId).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Records TOTP step `step` as used, only when it is later than the last one accepted:
 * answers false when the code was used already (by this request or a concurrent one).
 */
export async function claimTotpStep(db: Db, userId: string, step: number, now: number): Promise<boolean> {
  const result = await db
    .updateTable('portal_users')
    .set({ totp_last_step: step, updated_at: now })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The organisation's name and whether it is active; undefined: no such organisation. */
export async function findOrganisationStatus(db: Db, organisationId: number): Promise<{ name: string; active: boolean } | undefined> {
  const row = await db.selectFrom('organisations').select(['name', 'active']).where('id', '=', organisationId).executeTakeFirst();
  return row ? { name: row.name, active: Number(row.active) === 1 } : undefined;
}

/** Enables or disables an organisation; answers false when there is none. */
export async function setOrganisationActive(db: Db, organisationId: number, active: boolean): Promise<boolean> {
  const result = await db.updateTable('organisations').set({ active: active ? 1 : 0 }).where('id', '=', organisationId).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
