import type { Selectable } from 'kysely';
import type { PortalSessionTable } from './schema.js';
import type { Db } from './store.js';

export type PortalSessionRecord = Selectable<PortalSessionTable>;

/** A session with what a request needs of its user and organisation, in one read. */
export interface PortalSessionView extends PortalSessionRecord {
  email: string;
  role: string;
  organisation_id: number | null;
  user_active: number;
  password_hash: string | null;
  organisation_name: string | null;
  organisation_active: number | null;
}

export async function insertPortalSession(db: Db, session: PortalSessionRecord): Promise<void> {
  await db.insertInto('portal_sessions').values(session).execute();
}

/** The session whose id (the SHA-256 of its token) is `id`, with its user and organisation. */
export async function findPortalSession(db: Db, id: string): Promise<PortalSessionView | undefined> {
  const row = await db
    .selectFrom('portal_sessions')
    .innerJoin('portal_users', 'portal_users.id', 'portal_sessions.user_id')
    .leftJoin('organisations', 'organisations.id', 'portal_users.organisation_id')
    .selectAll('portal_sessions')
    .select([
      'portal_users.email',
      'portal_users.role',
      'portal_users.organisation_id',
      'portal_users.active as user_active',
      'portal_users.password_hash',
      'organisations.name as organisation_name',
      'organisations.active as organisation_active',
    ])
    .where('portal_sessions.id', '=', id)
    .executeTakeFirst();
  return row
    ? {
        ...row,
        created_at: Number(row.created_at),
        last_seen_at: Number(row.last_seen_at),
        expires_at: Number(row.expires_at),
        organisation_id: row.organisation_id === null ? null : Number(row.organisation_id),
        user_active: Number(row.user_active),
        organisation_active: row.organisation_active === null ? null : Number(row.organisation_active),
      }
    : undefined;
}

export async function touchPortalSession(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable('portal_sessions').set({ last_seen_at: now }).where('id', '=', id).execute();
}

export async function deletePortalSession(db: Db, id: string): Promise<void> {
  await db.deleteFrom('portal_sessions').where('id', '=', id).execute();
}

/** Ends every session of a user but `exceptId` (when given); answers how many ended. */
export async function deletePortalSessionsOfUser(db: Db, userId: string, exceptId?: string): Promise<number> {
  let query = db.deleteFrom('portal_sessions').where('user_id', '=', userId);
  if (exceptId !== undefined) query = query.where('id', '!=', exceptId);
  const result = await query.executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Deletes the sessions that can no longer be used (past their absolute expiry, or idle since `idleBefore`). */
export async function deleteExpiredPortalSessions(db: Db, now: number, idleBefore: number): Promise<number> {
  const result = await db
    .deleteFrom('portal_sessions')
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('last_seen_at', '<', idleBefore)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function countPortalSessionsOfUser(db: Db, userId: string): Promise<number> {
  const row = await db.selectFrom('portal_sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).executeTakeFirstOrThrow();
  return Number(row.n);
}
