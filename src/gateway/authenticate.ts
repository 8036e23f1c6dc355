import { latipayError } from '../domain/errors.js';
import type { RequestParams } from '../domain/request-params.js';
import { verifyRequestSignature } from '../domain/signature.js';
import type { GatewayContext } from './context.js';
import type { MerchantUser } from './credentials.js';

/**
 * Finds the active user named by `user_id` (205 otherwise) and checks the request's
 * signature in every accepted form (206 otherwise).
 */
export async function authenticateRequest(
  ctx: GatewayContext,
  params: RequestParams,
  legacyMessages: (apiKey: string) => readonly string[] = () => [],
): Promise<MerchantUser> {
  const user = await ctx.credentials.findUser(params.required('user_id'));
  if (!user || !user.active) throw latipayError('UNKNOWN_USER', `user_id ${params.required('user_id')} is unknown or disabled`);
  if (!verifyRequestSignature(params.entries, user.apiKey, params.raw('signature'), legacyMessages(user.apiKey))) {
    throw latipayError('BAD_SIGNATURE');
  }
  return user;
}
