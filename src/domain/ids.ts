import { randomBytes, randomInt } from 'node:crypto';

/**
 * Identifiers that are unique across gateway instances without coordination: they are
 * random, with enough entropy that a collision is negligible (and the database's unique
 * keys turn the impossible case into a retry, not a duplicate).
 */

/** A single-purpose 64-char lowercase hex nonce (256 random bits). */
export function generateNonce(): string {
  return randomBytes(32).toString('hex');
}

/** A digit string starting with the order's date (spec §1), then 18 random digits (~60 bits). */
export function generateOrderId(now: Date, timeZoneOffsetMinutes: number): string {
  const local = new Date(now.getTime() + timeZoneOffsetMinutes * 60_000);
  const date =
    String(local.getUTCFullYear()) +
    String(local.getUTCMonth() + 1).padStart(2, '0') +
    String(local.getUTCDate()).padStart(2, '0');
  return date + randomDigits(18);
}

export function randomDigits(count: number): string {
  let out = '';
  while (out.length < count) out += String(randomInt(0, 1_000_000_000)).padStart(9, '0');
  return out.slice(0, count);
}

/** A user id like `U000334333`. */
export function generateUserId(): string {
  return 'U' + randomDigits(9);
}

/** A wallet id like `W00000001`. */
export function generateWalletId(): string {
  return 'W' + randomDigits(9);
}

/** A fresh api key: 32 hex characters, like Latipay's. */
export function generateApiKey(): string {
  return randomBytes(16).toString('hex');
}

/** A refund id: `R`, the date like an order id, then 18 random digits. */
export function generateRefundId(now: Date, timeZoneOffsetMinutes: number): string {
  return 'R' + generateOrderId(now, timeZoneOffsetMinutes);
}
