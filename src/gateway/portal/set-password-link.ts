import { claimPortalLink, deleteUnusedPortalLinks, findUsablePortalLink, insertPortalLink } from '../../store/portal-links.js';
import { deletePortalSessionsOfUser } from '../../store/portal-sessions.js';
import { findPortalUser, findPortalUserByEmail, updatePortalUser, type PortalUserRecord } from '../../store/portal-users.js';
import type { Db } from '../../store/store.js';
import { recordAudit, type Actor } from '../audit.js';
import type { GatewayContext } from '../context.js';
import { hashPassword, passwordProblem } from './password-hash.js';
import { PortalInputError } from './portal-input-error.js';
import { hashPortalToken, newPortalToken } from './portal-tokens.js';

/** How long a set-password link works. */
export const SET_PASSWORD_LINK_MS = 72 * 3_600_000;

/** Makes a link in the caller's transaction, replacing the user's unused ones; answers its URL. */
export async function issueLinkIn(db: Db, publicUrl: string, userId: string, now: number): Promise<string> {
  const token = newPortalToken();
  await deleteUnusedPortalLinks(db, userId);
  await insertPortalLink(db, { id: hashPortalToken(token), user_id: userId, created_at: now, expires_at: now + SET_PASSWORD_LINK_MS });
  return `${publicUrl}/portal/set-password/${token}`;
}

/**
 * A new one-time link with which the user sets a new password (a reset; there is no mail
 * server: an admin or the CLI passes it on). Earlier unused links stop working.
 */
export async function issueSetPasswordLink(ctx: GatewayContext, userId: string, by: Actor): Promise<string> {
  const user = await findPortalUser(ctx.store.db, userId);
  if (!user) throw new PortalInputError('unknown_user', `no portal user ${userId}`);
  const now = ctx.clock();
  return ctx.store.db.transaction().execute(async (trx) => {
    const url = await issueLinkIn(trx, ctx.config.publicUrl, userId, now);
    await recordAudit(trx, by, 'portal_user.reset_password', `portal_user:${userId}`, { email: user.email }, now, user.organisation_id === null ? null : Number(user.organisation_id));
    return url;
  });
}

/** The same, for the user with `email` (the CLI's `portal-user reset-password`). */
export async function issueSetPasswordLinkByEmail(ctx: GatewayContext, email: string, by: Actor): Promise<{ user: PortalUserRecord; url: string }> {
  const user = await findPortalUserByEmail(ctx.store.db, email.trim().toLowerCase());
  if (!user) throw new PortalInputError('unknown_user', `no portal user with the email ${email.trim().toLowerCase()}`);
  return { user, url: await issueSetPasswordLink(ctx, user.id, by) };
}

/** The user a link would set the password of, when it is still usable (unused, not expired). */
export async function findSetPasswordLinkUser(ctx: GatewayContext, token: string): Promise<PortalUserRecord | undefined> {
  const link = await findUsablePortalLink(ctx.store.db, hashPortalToken(token), ctx.clock());
  return link ? findPortalUser(ctx.store.db, link.user_id) : undefined;
}

export type SetPasswordResult = { ok: true; user: PortalUserRecord } | { ok: false; problem: 'link' | 'too_short' | 'too_long' };

/**
 * Sets a password through a one-time link: the link works once (claimed in the same
 * transaction as the password is written) and not after it expires; every session of the
 * user ends (a reset must lock out whoever had the old password).
 */
export async function setPasswordWithLink(ctx: GatewayContext, token: string, password: string, source: string): Promise<SetPasswordResult> {
  const problem = passwordProblem(password);
  const user = await findSetPasswordLinkUser(ctx, token);
  if (!user) return { ok: false, problem: 'link' };
  if (problem) return { ok: false, problem };
  const hash = await hashPassword(password);
  const now = ctx.clock();
  const done = await ctx.store.db.transaction().execute(async (trx) => {
    if (!(await claimPortalLink(trx, hashPortalToken(token), now))) return false;
    await updatePortalUser(trx, user.id, { password_hash: hash, updated_at: now });
    await deletePortalSessionsOfUser(trx, user.id);
    await recordAudit(
      trx,
      { actor: `portal:${user.email}`, source },
      'portal_user.set_password',
      `portal_user:${user.id}`,
      {},
      now,
      user.organisation_id === null ? null : Number(user.organisation_id),
    );
    return true;
  });
  return done ? { ok: true, user } : { ok: false, problem: 'link' };
}
