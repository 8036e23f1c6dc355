import { latipayError, TooManyRequestsError, type ErrorName } from '../domain/errors.js';
import type { RequestParams } from '../domain/request-params.js';
import { isLegacyForm, matchRequestSignature, stringToSign, type ExtraSignatureMessage, type SignatureForm } from '../domain/signature.js';
import type { GatewayContext } from './context.js';
import { acceptedKeys, type MerchantUser } from './credentials.js';

/** Where a request came from: the client address (the socket's, or X-Forwarded-For through a trusted proxy). */
export interface RequestOrigin {
  readonly address: string;
}

export interface Authenticated {
  readonly user: MerchantUser;
  /** The key that verified the request: its answer is signed with the same (spec §2.3), also during a rotation's grace period. */
  readonly key: string;
  readonly form: SignatureForm;
}

export interface AuthenticateOptions {
  /** The endpoint's own extra signature forms (spec §2.2.4–6), built per key. */
  extra?: (apiKey: string) => readonly ExtraSignatureMessage[];
  /** The code for a user_id that does not exist (205 by default; `/cancel` answers 110). */
  unknownUser?: ErrorName;
}

/**
 * Finds the active user named by `user_id` (205 otherwise) and checks the request's
 * signature in every accepted form (206 otherwise), with the current key and, during a
 * rotation's grace period, the previous one. The legacy concatenations are tried only for
 * users that still allow them. Every failure is logged (user_id and address, never a
 * secret) and counted; past the limits (see AuthThrottle) the answer is HTTP 429.
 */
export async function authenticateRequest(
  ctx: GatewayContext,
  params: RequestParams,
  origin: RequestOrigin,
  options: AuthenticateOptions = {},
): Promise<Authenticated> {
  const userId = params.required('user_id');
  const now = ctx.clock();
  const wait = ctx.authThrottle.refusedFor(origin.address, userId, now);
  if (wait > 0) throw new TooManyRequestsError('too many failed authentications from this address; try again later', wait / 1000);

  const user = await ctx.credentials.findUser(userId);
  if (!user || !user.active) {
    await refuse(ctx, origin, userId, user ? 'user disabled' : 'unknown user', user?.id, now);
    if (!user) throw latipayError(options.unknownUser ?? 'UNKNOWN_USER', `user_id ${userId} is unknown`);
    throw latipayError('UNKNOWN_USER', `user_id ${userId} is disabled`);
  }
  const given = params.raw('signature');
  for (const key of acceptedKeys(user, now)) {
    const extra = () => options.extra?.(key).filter((m) => user.legacySignatures || !isLegacyForm(m.form)) ?? [];
    const form = matchRequestSignature(params.entries, key, given, extra);
    if (form !== undefined) {
      ctx.signatureUsage.record(user.id, form);
      return { user, key, form };
    }
  }
  await refuse(ctx, origin, userId, 'bad signature', user.id, now);
  throw latipayError('BAD_SIGNATURE', signatureHint(ctx, params));
}

/**
 * Outside production a 206 says what the gateway expected to be signed (the sorted form of
 * spec §2.1, the key shown as `<api_key>`), which is what a newcomer needs to find the
 * difference. Never in production: there it would tell a prober how requests are built.
 */
function signatureHint(ctx: GatewayContext, params: RequestParams): string | undefined {
  if (ctx.config.mode === 'production') return undefined;
  return `the sorted form (spec §2.1) is HMAC-SHA256, keyed by your api_key, of ${JSON.stringify(stringToSign(params.entries))}`;
}

async function refuse(ctx: GatewayContext, origin: RequestOrigin, userId: string, reason: string, knownUserId: string | undefined, now: number): Promise<void> {
  ctx.log.warn({ userId, address: origin.address, reason }, 'failed authentication');
  const wait = await ctx.authThrottle.failed(origin.address, knownUserId, now);
  if (wait > 0) throw new TooManyRequestsError('too many failed authentications; try again later', wait / 1000);
}
