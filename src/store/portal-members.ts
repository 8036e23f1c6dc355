import { lockForUpdate } from './dialect/locking.js';
import type { Db } from './store.js';

/** A member of an organisation as its Users page shows them (never a password or a TOTP secret). */
export interface PortalMemberView {
  id: string;
  email: string;
  role: string;
  active: boolean;
  /** Whether a password was set (the set-password link was used). */
  passwordSet: boolean;
  twoFactor: boolean;
  /** The last sign-in the audit log recorded; null: none. */
  lastSignInAt: number | null;
  createdAt: number;
}

/** The members of an organisation, active ones first, then by email. */
export async function listPortalMembers(db: Db, organisationId: number): Promise<PortalMemberView[]> {
  const [rows, signIns] = await Promise.all([
    db
      .selectFrom('portal_users')
      .select(['id', 'email', 'role', 'active', 'password_hash', 'totp_secret_sealed', 'created_at'])
      .where('organisation_id', '=', organisationId)
      .orderBy('active', 'desc')
      .orderBy('email')
      .execute(),
    db
      .selectFrom('audit_events')
      .select((eb) => ['target', eb.fn.max('at').as('at')])
      .where('organisation_id', '=', organisationId)
      .where('action', '=', 'portal.sign_in')
      .groupBy('target')
      .execute(),
  ]);
  const lastSignIn = new Map(signIns.map((s) => [s.target, Number(s.at)]));
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    role: r.role,
    active: Number(r.active) === 1,
    passwordSet: r.password_hash !== null,
    twoFactor: r.totp_secret_sealed !== null,
    lastSignInAt: lastSignIn.get(`portal_user:${r.id}`) ?? null,
    createdAt: Number(r.created_at),
  }));
}

/**
 * The organisation's members' roles and status, locked until the caller's transaction ends
 * (PostgreSQL; SQLite's transaction holds the one write lock), so that two changes at once
 * are decided one after the other, each on what the other left.
 */
export async function lockPortalMembers(db: Db, organisationId: number): Promise<Array<{ id: string; email: string; role: string; active: boolean }>> {
  const rows = await lockForUpdate(
    db,
    db.selectFrom('portal_users').select(['id', 'email', 'role', 'active']).where('organisation_id', '=', organisationId).orderBy('id'),
  ).execute();
  return rows.map((r) => ({ id: r.id, email: r.email, role: r.role, active: Number(r.active) === 1 }));
}
