import { listApiUsersOfOrganisation } from '../../store/organisations.js';
import { deletePortalSessionsOfUser } from '../../store/portal-sessions.js';
import { listPortalUsers, setOrganisationActive as storeOrganisationActive } from '../../store/portal-users.js';
import { updateUser } from '../../store/merchants.js';
import { recordAudit, type Actor } from '../audit.js';
import type { GatewayContext } from '../context.js';
import { MerchantInputError } from '../create-merchant.js';

/**
 * An operator disables or enables a whole organisation: its flag (its portal users cannot
 * sign in while it is off, and their sessions end now), and each of its API users as
 * `latipay merchant disable|enable` does (a disabled user's API requests answer 205; orders,
 * callbacks and refunds in flight go on). Enabling enables every API user, including one
 * disabled on its own before. Answers how many API users and portal sessions it touched.
 */
export async function setOrganisationActive(ctx: GatewayContext, organisationId: number, active: boolean, by: Actor): Promise<{ apiUsers: string[]; sessionsEnded: number }> {
  const now = ctx.clock();
  const result = await ctx.store.db.transaction().execute(async (trx) => {
    if (!(await storeOrganisationActive(trx, organisationId, active))) throw new MerchantInputError(`no organisation ${organisationId}`);
    const apiUsers = (await listApiUsersOfOrganisation(trx, organisationId)).map((u) => u.id);
    for (const userId of apiUsers) {
      await updateUser(trx, userId, { active: active ? 1 : 0 });
      await recordAudit(trx, by, active ? 'merchant.enable' : 'merchant.disable', userId, {}, now, organisationId);
    }
    let sessionsEnded = 0;
    if (!active) for (const member of await listPortalUsers(trx, organisationId)) sessionsEnded += await deletePortalSessionsOfUser(trx, member.id);
    await recordAudit(trx, by, active ? 'organisation.enable' : 'organisation.disable', `organisation:${organisationId}`, { api_users: apiUsers.length, sessions_ended: sessionsEnded }, now, organisationId);
    return { apiUsers, sessionsEnded };
  });
  // This process sees it at once; others within their credential cache's few seconds.
  for (const userId of result.apiUsers) ctx.credentials.forget(userId);
  return result;
}
