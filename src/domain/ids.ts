import { randomBytes, randomInt } from 'node:crypto';

/**
 * Identifiers that are unique across gateway instances without coordination: random, with
 * enough entropy that a collision is negligible (and the database's unique keys turn the
 * impossible case into a retry, not a duplicate). Order ids and nonces start with the time,
 * so new rows land at the end of their indexes instead of at random pages: random keys made
 * every insert rewrite a page of each index.
 */

/**
 * A single-purpose 64-char lowercase hex nonce: 12 hex of the time in ms, then 208 random
 * bits (unguessable; the time prefix only orders the index).
 */
export function generateNonce(now: number = Date.now()): string {
  return Math.floor(now).toString(16).padStart(12, '0').slice(-12) + randomBytes(26).toString('hex');
}

/**
 * A digit string starting with the order's date (spec §1): `YYYYMMDD` `HHmmssSSS` in the
 * wire's time zone, then 13 random digits (~43 bits per millisecond).
 */
export function generateOrderId(now: Date, timeZoneOffsetMinutes: number): string {
  const local = new Date(now.getTime() + timeZoneOffsetMinutes * 60_000);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    String(local.getUTCFullYear()) +
    two(local.getUTCMonth() + 1) +
    two(local.getUTCDate()) +
    two(local.getUTCHours()) +
    two(local.getUTCMinutes()) +
    two(local.getUTCSeconds()) +
    String(local.getUTCMilliseconds()).padStart(3, '0') +
    randomDigits(13)
  );
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

/** A refund id: `R` and an id shaped like an order id (date and time, then random digits). */
export function generateRefundId(now: Date, timeZoneOffsetMinutes: number): string {
  return 'R' + generateOrderId(now, timeZoneOffsetMinutes);
}
