import { claimTotpStep, findPortalUser, updatePortalUser } from '../../store/portal-users.js';
import { recordAudit, type Actor } from '../audit.js';
import type { GatewayContext } from '../context.js';
import { signPortalValue, sameToken } from './portal-tokens.js';
import { matchTotpCode, newTotpSecret } from './totp.js';

/** How long a two-factor setup shown on the account page can be confirmed. */
const SETUP_MS = 15 * 60_000;

/**
 * A new TOTP secret offered to a user, and a sealed copy of it for the confirmation form
 * (nothing is stored until the user proves, with a code, that their app has it). The
 * sealed copy names the user and expires, so it serves no one else and not for long.
 */
export function offerTwoFactor(ctx: GatewayContext, userId: string): { secret: string; pending: string } {
  const secret = newTotpSecret();
  const pending = ctx.secrets.seal(JSON.stringify({ u: userId, s: secret, e: ctx.clock() + SETUP_MS }));
  return { secret, pending };
}

/** Turns two-factor on with the offered secret, when `code` is right; answers whether it did. */
export async function enableTwoFactor(ctx: GatewayContext, userId: string, pending: string, code: string, by: Actor): Promise<boolean> {
  let offer: { u?: unknown; s?: unknown; e?: unknown };
  try {
    offer = JSON.parse(ctx.secrets.open(pending)) as typeof offer;
  } catch {
    return false;
  }
  const now = ctx.clock();
  if (offer.u !== userId || typeof offer.s !== 'string' || typeof offer.e !== 'number' || offer.e < now) return false;
  const step = matchTotpCode(offer.s, code, now);
  if (step === undefined) return false;
  const secret = offer.s;
  await ctx.store.db.transaction().execute(async (trx) => {
    await updatePortalUser(trx, userId, { totp_secret_sealed: ctx.secrets.seal(secret), totp_last_step: step, updated_at: now });
    await recordAudit(trx, by, 'portal.totp_enable', `portal_user:${userId}`, {}, now);
  });
  return true;
}

/** Checks a user's two-factor code (each code works once); answers whether it was right. */
export async function verifyTwoFactor(ctx: GatewayContext, userId: string, code: string): Promise<boolean> {
  const user = await findPortalUser(ctx.store.db, userId);
  if (!user?.totp_secret_sealed) return false;
  const now = ctx.clock();
  const step = matchTotpCode(ctx.secrets.open(user.totp_secret_sealed), code, now);
  return step !== undefined && (await claimTotpStep(ctx.store.db, userId, step, now));
}

/** Turns two-factor off, when `code` is right; answers whether it did. */
export async function disableTwoFactor(ctx: GatewayContext, userId: string, code: string, by: Actor): Promise<boolean> {
  if (!(await verifyTwoFactor(ctx, userId, code))) return false;
  const now = ctx.clock();
  await ctx.store.db.transaction().execute(async (trx) => {
    await updatePortalUser(trx, userId, { totp_secret_sealed: null, totp_last_step: null, updated_at: now });
    await recordAudit(trx, by, 'portal.totp_disable', `portal_user:${userId}`, {}, now);
  });
  return true;
}

/**
 * The short-lived proof, between the two steps of signing in, that a user gave the right
 * password (a cookie: `<user id>.<expiry>.<HMAC>`), so that the second step asks only the code.
 */
export function passwordProof(ctx: GatewayContext, userId: string, ttlMs = 5 * 60_000): string {
  const value = `${userId}.${ctx.clock() + ttlMs}`;
  return `${value}.${signPortalValue(ctx.secrets.deriveKey('portal-password-proof'), value)}`;
}

/** The user a proof names, when it is genuine and not expired. */
export function readPasswordProof(ctx: GatewayContext, proof: string): string | undefined {
  const [userId, expiry, mac] = proof.split('.');
  if (!userId || !expiry || !mac) return undefined;
  if (!sameToken(mac, signPortalValue(ctx.secrets.deriveKey('portal-password-proof'), `${userId}.${expiry}`))) return undefined;
  return Number(expiry) > ctx.clock() ? userId : undefined;
}
