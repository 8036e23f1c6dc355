import { findOrganisationStatus, findPortalUserByEmail, type PortalUserRecord } from '../../store/portal-users.js';
import type { GatewayContext } from '../context.js';
import { dummyPasswordHash, MAX_PASSWORD_LENGTH, verifyPassword } from './password-hash.js';

export type PasswordCheck =
  /** Right password; `totp`: the user must give a two-factor code before a session starts. */
  | { kind: 'ok'; user: PortalUserRecord; totp: boolean }
  /** Right password, but the user (or their organisation) is disabled. */
  | { kind: 'disabled'; user: PortalUserRecord }
  /** Unknown email, no password set yet, or a wrong password: one answer for all (`user` when the email is known, for the audit log). */
  | { kind: 'wrong'; user?: PortalUserRecord };

/**
 * The first step of signing in: email and password. An unknown email costs the same
 * scrypt work as a known one, so the answer's timing does not tell which emails exist.
 */
export async function checkPassword(ctx: GatewayContext, email: string, password: string): Promise<PasswordCheck> {
  const user = await findPortalUserByEmail(ctx.store.db, email.trim().toLowerCase());
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) return { kind: 'wrong', user };
  const right = await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()));
  if (!user || user.password_hash === null || !right) return { kind: 'wrong', user };
  if (!(await mayUsePortal(ctx, user))) return { kind: 'disabled', user };
  return { kind: 'ok', user, totp: user.totp_secret_sealed !== null };
}

/** Whether a user may sign in: active, and a member of an active organisation (or an operator). */
export async function mayUsePortal(ctx: GatewayContext, user: PortalUserRecord): Promise<boolean> {
  if (Number(user.active) !== 1) return false;
  if (user.role === 'operator') return user.organisation_id === null;
  if (user.organisation_id === null) return false;
  return (await findOrganisationStatus(ctx.store.db, Number(user.organisation_id)))?.active === true;
}
