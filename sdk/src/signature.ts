import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Latipay 2.0 signatures (HMAC-SHA256, lowercase hex, keyed by the api_key). Pure
 * functions over strings, independent of the client, so a merchant can also use them
 * on their own (a queue consumer that re-checks a stored callback, say).
 */

/** A parameter value as it is signed: anything `String()` turns into the text that is sent. */
export type SignableValue = string | number | boolean | null | undefined;

/**
 * HMAC-SHA256 of `message` keyed by `key`, as lowercase hex.
 *
 * @example
 * hmacSha256Hex('111222333', 'dsi39ej430sks03alipaypaidNZD120.00');
 * // '840151e0dc39496e22b410b83058b4ddd633b786936c505ae978fae029a1e0f1'
 */
export function hmacSha256Hex(key: string, message: string): string {
  return createHmac('sha256', key).update(message, 'utf8').digest('hex');
}

/**
 * The message of the sorted-parameter signature (spec §2.1), without the key appended:
 * every field but `signature`, without null, undefined and empty values, keys in plain
 * code-unit order, joined as `k=v` with `&`. Values are used as they are (no encoding).
 *
 * @example
 * sortedMessage({ user_id: 'U000000013', merchant_reference: '6000324' });
 * // 'merchant_reference=6000324&user_id=U000000013'
 */
export function sortedMessage(fields: Readonly<Record<string, SignableValue>>): string {
  const kept: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'signature' || value === null || value === undefined) continue;
    const text = String(value);
    if (text !== '') kept.push([key, text]);
  }
  // Code-unit order, as JavaScript's default sort: uppercase before lowercase.
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return kept.map(([key, value]) => `${key}=${value}`).join('&');
}

/**
 * The sorted-parameter signature of requests (spec §2.1): HMAC(api_key, sortedMessage + api_key).
 *
 * @example
 * signParams({ user_id: 'U000000013', merchant_reference: '6000324' }, '111222333');
 * // '58f93f458880120d650611f2452917a25a39edc2f5e3a03baac73a7a49bc81f4'
 */
export function signParams(fields: Readonly<Record<string, SignableValue>>, apiKey: string): string {
  return hmacSha256Hex(apiKey, sortedMessage(fields) + apiKey);
}

/** The five fields a payment result is signed over, in the order they are concatenated. */
export interface ResultSignatureFields {
  merchant_reference: string;
  payment_method: string;
  status: string;
  currency: string;
  amount: string;
}

/**
 * The signature of callbacks, return redirects and query answers (spec §2.3):
 * HMAC(api_key, merchant_reference + payment_method + status + currency + amount).
 *
 * @example
 * signResult({ merchant_reference: 'dsi39ej430sks03', payment_method: 'alipay', status: 'paid', currency: 'NZD', amount: '120.00' }, '111222333');
 * // '840151e0dc39496e22b410b83058b4ddd633b786936c505ae978fae029a1e0f1'
 */
export function signResult(fields: ResultSignatureFields, apiKey: string): string {
  return hmacSha256Hex(apiKey, fields.merchant_reference + fields.payment_method + fields.status + fields.currency + fields.amount);
}

/**
 * The signature of a create-transaction answer (spec §2.3): HMAC(api_key, nonce + host_url).
 *
 * @example
 * signCreated('3f1c…', 'https://pay.example.com/pay', apiKey) === answer.signature;
 */
export function signCreated(nonce: string, hostUrl: string, apiKey: string): string {
  return hmacSha256Hex(apiKey, nonce + hostUrl);
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

/**
 * Compares an expected signature with one received, in constant time; hex case is ignored.
 * Anything that is not 64 hex digits never matches.
 *
 * @example
 * signaturesMatch(signResult(fields, apiKey), query.get('signature')); // true or false
 */
export function signaturesMatch(expectedHex: string, receivedHex: unknown): boolean {
  if (typeof receivedHex !== 'string' || !HEX64.test(receivedHex) || !HEX64.test(expectedHex)) return false;
  return timingSafeEqual(Buffer.from(expectedHex.toLowerCase(), 'latin1'), Buffer.from(receivedHex.toLowerCase(), 'latin1'));
}
