import { findUser } from '../store/merchants.js';
import type { Actor } from './audit.js';
import type { GatewayContext } from './context.js';
import { rotateApiKey, type RotatedKey } from './rotate-api-key.js';

/** The grace periods the portal offers (seconds): the old key ends now, or keeps working for a while. */
export const PORTAL_GRACE_CHOICES = [0, 3_600, 86_400, 259_200, 604_800] as const;
export const DEFAULT_PORTAL_GRACE_SECONDS = 86_400;

/**
 * Rotates the api key of one of the organisation's users (the portal's "Rotate API key"),
 * as `latipay merchant rotate-key` does: audited as `by`, the old key accepted for
 * `graceSeconds`. This process forgets the cached key at once (others within seconds).
 * Undefined for a user of another organisation. The new key is answered once, to be shown
 * once: it is never logged or stored in the clear.
 */
export async function rotateOrganisationKey(
  ctx: GatewayContext,
  organisationId: number,
  userId: string,
  graceSeconds: number,
  by: Actor,
): Promise<RotatedKey | undefined> {
  const user = await findUser(ctx.store.db, userId);
  if (!user || Number(user.organisation_id) !== organisationId) return undefined;
  const rotated = await rotateApiKey(ctx.store.db, ctx.secrets, userId, graceSeconds, ctx.clock(), by);
  ctx.credentials.forget(userId);
  return rotated;
}
