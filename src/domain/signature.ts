import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Latipay signatures (spec §2): HMAC-SHA256 in lowercase hex, keyed by the user's api_key.
 * Pure functions; every comparison is constant-time.
 */

/** A parameter value as received: JSON gives strings, numbers, booleans or null; forms give strings. */
export type ParamValue = string | number | boolean | null | undefined;
/** Parameters in the order they were received (JSON key order, form or query order). */
export type Params = ReadonlyArray<readonly [string, ParamValue]>;

export function hmacHex(key: string, message: string): string {
  return createHmac('sha256', key).update(message, 'utf8').digest('hex');
}

interface JoinOptions {
  /** Keep parameters whose value is the empty string (a Ruby client signs `reference=`). */
  keepEmpty?: boolean;
  /** Sort keys by code-unit order (JavaScript's default sort); otherwise keep received order. */
  sorted?: boolean;
}

/** Joins parameters as `k=v&k=v`, leaving out `signature` and null/undefined (and, by default, empty) values. */
export function joinParams(params: Params, options: JoinOptions = {}): string {
  const { keepEmpty = false, sorted = true } = options;
  const kept: Array<readonly [string, string]> = [];
  for (const [key, value] of params) {
    if (key === 'signature' || value === null || value === undefined) continue;
    const text = String(value);
    if (text === '' && !keepEmpty) continue;
    kept.push([key, text]);
  }
  if (sorted) kept.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let out = '';
  for (let i = 0; i < kept.length; i++) {
    if (i > 0) out += '&';
    out += kept[i][0] + '=' + kept[i][1];
  }
  return out;
}

/** The sorted-parameter signature of spec §2.1: HMAC(joined + api_key). */
export function signParams(params: Params, apiKey: string, options?: JoinOptions): string {
  return hmacHex(apiKey, joinParams(params, options) + apiKey);
}

/** Signs a plain object's fields with the §2.1 sorted form (used for responses we sign). */
export function signObject(fields: Record<string, ParamValue>, apiKey: string): string {
  return signParams(Object.entries(fields), apiKey);
}

const HEX = /^[0-9a-fA-F]*$/;

/** Constant-time comparison of two hex signatures, case-insensitive. */
export function signaturesEqual(expectedHex: string, givenHex: string): boolean {
  if (typeof givenHex !== 'string' || givenHex.length !== expectedHex.length) return false;
  // Latin-1 encoding keeps only the low byte of each code unit ('ı' U+0131 becomes '1'),
  // so anything but hex digits must be refused before the bytes are compared.
  if (!HEX.test(givenHex)) return false;
  const a = Buffer.from(expectedHex.toLowerCase(), 'latin1');
  const b = Buffer.from(givenHex.toLowerCase(), 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Verifies a request signature against every form real clients send (spec §2.2):
 * sorted without empties (tried first: what almost every client sends), sorted with
 * empties, received order (with and without empties), and any endpoint-specific legacy
 * messages (HMAC(message), no key appended). Each comparison is constant-time; which
 * form matched is not a secret, so the first match ends the search.
 */
export function verifyRequestSignature(
  params: Params,
  apiKey: string,
  given: unknown,
  legacyMessages: readonly string[] = [],
): boolean {
  if (typeof given !== 'string' || given.length !== 64) return false;
  const tried = new Set<string>();
  const matches = (message: string): boolean => {
    if (tried.has(message)) return false;
    tried.add(message);
    return signaturesEqual(hmacHex(apiKey, message), given);
  };
  return (
    matches(joinParams(params) + apiKey) ||
    matches(joinParams(params, { keepEmpty: true }) + apiKey) ||
    matches(joinParams(params, { sorted: false }) + apiKey) ||
    matches(joinParams(params, { sorted: false, keepEmpty: true }) + apiKey) ||
    legacyMessages.some((message) => matches(message))
  );
}

/** The signature of callbacks, redirects and query answers (spec §2.3). */
export function signResult(
  apiKey: string,
  fields: { merchant_reference: string; payment_method: string; status: string; currency: string; amount: string },
): string {
  return hmacHex(apiKey, fields.merchant_reference + fields.payment_method + fields.status + fields.currency + fields.amount);
}
