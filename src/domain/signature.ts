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

/** What stands for the api_key wherever a message to sign is shown (the 206 hint, the portal's signature helper). */
export const API_KEY_PLACEHOLDER = '<api_key>';

/** The message the sorted form (spec §2.1) signs, with the key shown as `<api_key>`: never the key itself. */
export function stringToSign(params: Params, options?: JoinOptions): string {
  return joinParams(params, options) + API_KEY_PLACEHOLDER;
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
 * The forms a request signature may take (spec §2.2), named so that an operator can see
 * which ones a merchant's integration uses before turning the legacy ones off.
 */
export type SignatureForm =
  | 'sorted'
  | 'sorted-keep-empty'
  | 'received-order'
  | 'received-order-keep-empty'
  /** §2.2.4: user_id + wallet_id + amount + payment_method + return_url + callback_url. */
  | 'legacy-create'
  /** §2.2.4, the oldest: the same without return_url. */
  | 'legacy-create-oldest'
  /** §2.2.5: merchant_reference + user_id. */
  | 'legacy-query'
  /** §2.2.6: wallet_id + user_id. */
  | 'legacy-detail'
  /** `POST /v2/minialipay`: the sorted form without `payment_method` (Latipay's example sends it, its signature leaves it out). */
  | 'sorted-without-payment-method';

/** An endpoint's extra message (HMAC(message), nothing appended, unless the message carries the key itself). */
export interface ExtraSignatureMessage {
  readonly form: SignatureForm;
  readonly message: string;
}

/** True for the concatenated forms a merchant can have refused (`merchant set --legacy-signatures off`). */
export function isLegacyForm(form: SignatureForm): boolean {
  return form.startsWith('legacy-');
}

/**
 * Which form of spec §2.2 the request's signature matches, or undefined: sorted without
 * empties (tried first: what almost every client sends), sorted with empties, received
 * order (with and without empties), and the endpoint's extra messages (a list, or a function
 * that builds it, called only when no other form matched). Each comparison is
 * constant-time; which form matched is not a secret, so the first match ends the search.
 */
export function matchRequestSignature(
  params: Params,
  apiKey: string,
  given: unknown,
  extra: readonly ExtraSignatureMessage[] | (() => readonly ExtraSignatureMessage[]) = [],
): SignatureForm | undefined {
  if (typeof given !== 'string' || given.length !== 64) return undefined;
  const tried = new Set<string>();
  const matches = (message: string): boolean => {
    if (tried.has(message)) return false;
    tried.add(message);
    return signaturesEqual(hmacHex(apiKey, message), given);
  };
  if (matches(joinParams(params) + apiKey)) return 'sorted';
  if (matches(joinParams(params, { keepEmpty: true }) + apiKey)) return 'sorted-keep-empty';
  if (matches(joinParams(params, { sorted: false }) + apiKey)) return 'received-order';
  if (matches(joinParams(params, { sorted: false, keepEmpty: true }) + apiKey)) return 'received-order-keep-empty';
  // Built only now (a function): the endpoint's extra messages cost string building that
  // the sorted forms, which nearly every client sends, never need.
  for (const { form, message } of typeof extra === 'function' ? extra() : extra) if (matches(message)) return form;
  return undefined;
}

/** Whether the signature matches any form of spec §2.2 (legacy messages given as plain strings). */
export function verifyRequestSignature(params: Params, apiKey: string, given: unknown, legacyMessages: readonly string[] = []): boolean {
  return matchRequestSignature(params, apiKey, given, legacyMessages.map((message) => ({ form: 'legacy-create' as const, message }))) !== undefined;
}

/** The signature of callbacks, redirects and query answers (spec §2.3). */
export function signResult(
  apiKey: string,
  fields: { merchant_reference: string; payment_method: string; status: string; currency: string; amount: string },
): string {
  return hmacHex(apiKey, fields.merchant_reference + fields.payment_method + fields.status + fields.currency + fields.amount);
}
