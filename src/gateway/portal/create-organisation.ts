import { createMerchant, type CreatedMerchant } from '../create-merchant.js';
import type { Actor } from '../audit.js';
import type { GatewayContext } from '../context.js';
import { createPortalUser, normaliseEmail, type CreatedPortalUser } from './create-portal-user.js';
import { PortalInputError } from './portal-input-error.js';
import { findPortalUserByEmail } from '../../store/portal-users.js';

export interface CreatedOrganisation {
  /** Its API user, wallet and api_key (shown once, never again). */
  merchant: CreatedMerchant;
  /** Its owner in the portal, with the one-time set-password link to pass on; absent when none was asked for. */
  owner?: CreatedPortalUser;
  /** Why the owner asked for could not be made after all (the organisation was): someone took the email meanwhile. */
  ownerProblem?: PortalInputError;
}

/**
 * An operator's "Create organisation": what `latipay merchant create` makes (an
 * organisation, one API user, one wallet of `currency` taking Alipay and WeChat Pay, test or
 * live), and optionally its owner in the portal. The owner's email is checked before
 * anything is made, so a mistyped one makes nothing.
 */
export async function createOrganisation(
  ctx: GatewayContext,
  input: { name: string; currency: string; test: boolean; ownerEmail?: string },
  by: Actor,
): Promise<CreatedOrganisation> {
  const ownerEmail = input.ownerEmail?.trim() ? normaliseEmail(input.ownerEmail) : undefined;
  if (ownerEmail && (await findPortalUserByEmail(ctx.store.db, ownerEmail))) {
    throw new PortalInputError('email_taken', `a portal user with the email ${ownerEmail} exists already`);
  }
  const merchant = await createMerchant(
    ctx.store.db,
    ctx.secrets,
    { name: input.name, currency: input.currency, methods: ['alipay', 'wechat'], test: input.test },
    ctx.clock(),
    by,
  );
  if (!ownerEmail) return { merchant };
  try {
    return { merchant, owner: await createPortalUser(ctx, { organisationId: merchant.organisation_id, email: ownerEmail, role: 'owner' }, by) };
  } catch (error) {
    // The api_key must still be shown: it is never shown again.
    if (error instanceof PortalInputError) return { merchant, ownerProblem: error };
    throw error;
  }
}
