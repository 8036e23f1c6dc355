import { randomBytes, randomFillSync } from 'node:crypto';

/**
 * Identifiers that are unique across gateway instances: random ones with enough entropy
 * that a collision is negligible (the database's unique keys turn the impossible case into
 * a retry, not a duplicate), and order ids, whose number comes from a counter the processes
 * share through the database. Ids and nonces start with the time, so new rows land at the
 * end of their indexes instead of at random pages.
 */

/**
 * Random bytes for ids and nonces, drawn from the CSPRNG 4 KiB at a time: one call into
 * OpenSSL per ~150 orders instead of several per order (they showed in the hot path's profile).
 */
const pool = Buffer.allocUnsafe(4096);
let poolUsed = pool.length;

function takeRandom(count: number): Buffer {
  if (poolUsed + count > pool.length) {
    randomFillSync(pool);
    poolUsed = 0;
  }
  const bytes = pool.subarray(poolUsed, poolUsed + count);
  poolUsed += count;
  return bytes;
}

/**
 * A single-purpose 64-char lowercase hex nonce: 12 hex of the time in ms, then 208 random
 * bits (unguessable; the time prefix only orders the index).
 */
export function generateNonce(now: number = Date.now()): string {
  return Math.floor(now).toString(16).padStart(12, '0').slice(-12) + takeRandom(26).toString('hex');
}

/** How many digits of an order id follow its date: the counter's width. */
export const ORDER_NUMBER_DIGITS = 11;
/** The numbers an order id can carry (the counter starts at 1). */
export const MAX_ORDER_NUMBER = 10 ** ORDER_NUMBER_DIGITS - 1;

/**
 * An order id in Latipay's form (spec §1): the order's date `YYYYMMDD` in the wire's time
 * zone, then its number from the database's counter in 11 digits: 19 digits, which fit a
 * BIGINT and a VARCHAR(20). The number alone makes it unique (see OrderNumbers).
 */
export function orderIdFor(orderNumber: number, now: Date, timeZoneOffsetMinutes: number): string {
  if (!Number.isSafeInteger(orderNumber) || orderNumber < 1 || orderNumber > MAX_ORDER_NUMBER) {
    throw new RangeError(`order number ${orderNumber} does not fit ${ORDER_NUMBER_DIGITS} digits`);
  }
  return orderIdPrefix(now.getTime(), timeZoneOffsetMinutes).slice(0, 8) + String(orderNumber).padStart(ORDER_NUMBER_DIGITS, '0');
}

/**
 * The smallest order id an order created at or after `ms` can have: ids start with their
 * creation date, so "orders since" is a range of the primary key (to the day; the exact
 * time is the orders' `created_at`).
 */
export function orderIdLowerBound(ms: number, timeZoneOffsetMinutes: number): string {
  return orderIdPrefix(ms, timeZoneOffsetMinutes).slice(0, 8);
}

// Orders created in the same millisecond share their prefix: formatted once.
let lastPrefix = { ms: NaN, offset: NaN, text: '' };

function orderIdPrefix(ms: number, timeZoneOffsetMinutes: number): string {
  if (lastPrefix.ms === ms && lastPrefix.offset === timeZoneOffsetMinutes) return lastPrefix.text;
  const local = new Date(ms + timeZoneOffsetMinutes * 60_000);
  const two = (n: number) => String(n).padStart(2, '0');
  const text =
    String(local.getUTCFullYear()) +
    two(local.getUTCMonth() + 1) +
    two(local.getUTCDate()) +
    two(local.getUTCHours()) +
    two(local.getUTCMinutes()) +
    two(local.getUTCSeconds()) +
    String(local.getUTCMilliseconds()).padStart(3, '0');
  lastPrefix = { ms, offset: timeZoneOffsetMinutes, text };
  return text;
}

/** `count` uniformly random decimal digits (bytes of 250 and above are drawn again, so no digit is favoured). */
export function randomDigits(count: number): string {
  let out = '';
  while (out.length < count) {
    const bytes = takeRandom(count - out.length);
    for (let i = 0; i < bytes.length; i++) if (bytes[i] < 250) out += String(bytes[i] % 10);
  }
  return out;
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

/**
 * A refund id: `R`, the date and time `YYYYMMDD` `HHmmssSSS` in the wire's time zone, then
 * 13 random digits (~43 bits per millisecond): unique across instances without a counter.
 */
export function generateRefundId(now: Date, timeZoneOffsetMinutes: number): string {
  return 'R' + orderIdPrefix(now.getTime(), timeZoneOffsetMinutes) + randomDigits(13);
}

/** An invoice id: `I` and an id shaped like a refund's (date and time, then random digits). */
export function generateInvoiceId(now: Date, timeZoneOffsetMinutes: number): string {
  return 'I' + orderIdPrefix(now.getTime(), timeZoneOffsetMinutes) + randomDigits(13);
}
