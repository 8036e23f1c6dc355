import { findPortalUser, updatePortalUser } from '../../store/portal-users.js';
import { deletePortalSessionsOfUser } from '../../store/portal-sessions.js';
import { recordAudit, type Actor } from '../audit.js';
import type { GatewayContext } from '../context.js';
import { hashPassword, passwordProblem, verifyPassword } from './password-hash.js';

export type ChangePasswordResult = 'changed' | 'wrong_current' | 'too_short' | 'too_long';

/**
 * Changes a signed-in user's password, given the current one; every other session of the
 * user ends (the one that asked stays signed in).
 */
export async function changePassword(
  ctx: GatewayContext,
  userId: string,
  current: string,
  next: string,
  keepSessionId: string,
  by: Actor,
): Promise<ChangePasswordResult> {
  const user = await findPortalUser(ctx.store.db, userId);
  if (!user?.password_hash || !(await verifyPassword(current, user.password_hash))) return 'wrong_current';
  const problem = passwordProblem(next);
  if (problem) return problem;
  const hash = await hashPassword(next);
  const now = ctx.clock();
  await ctx.store.db.transaction().execute(async (trx) => {
    await updatePortalUser(trx, userId, { password_hash: hash, updated_at: now });
    await deletePortalSessionsOfUser(trx, userId, keepSessionId);
    await recordAudit(trx, by, 'portal_user.set_password', `portal_user:${userId}`, { changed_by: 'self' }, now);
  });
  return 'changed';
}
