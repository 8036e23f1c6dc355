import { LatipaySignatureError } from './errors.js';
import { signaturesMatch, signResult, type ResultSignatureFields } from './signature.js';
import type { CallbackEvent, ReturnEvent } from './types.js';
import { hasWebhookHeaders, verifyWebhookHeaders, type VerifiedWebhook, type WebhookHeaders, type WebhookVerifyOptions } from './webhook.js';

/** A form body as a framework may hand it over: raw text, parsed pairs, or an object. */
export type FormInput = string | Buffer | URLSearchParams | Readonly<Record<string, unknown>>;

export interface CallbackVerifyOptions extends WebhookVerifyOptions {
  /**
   * The request's headers. When they carry the Standard Webhooks headers (this gateway
   * sends them; Latipay itself does not), those are verified too, against the raw body.
   */
  headers?: WebhookHeaders | undefined;
  /**
   * Refuse a callback that has no Standard Webhooks headers (default false). Turn it on
   * against this gateway: otherwise a replayed callback stripped of its headers still passes.
   */
  requireWebhookHeaders?: boolean | undefined;
}

/**
 * Verifies the asynchronous notification (spec §4.4) with `apiKey` (or any of several keys,
 * during a key rotation) and returns it typed; throws `LatipaySignatureError` when a signed
 * field is missing, repeated or altered, the signature is wrong, or, given `headers` with
 * Standard Webhooks headers, those do not verify or are stale. (`latipay.verifyCallback`
 * is the same with the client's keys.)
 *
 * The webhook signature covers the exact body received: pass the raw text or Buffer. A body
 * already parsed into an object is serialised again in its order, which reproduces what this
 * gateway sends.
 *
 * @example
 * // A worker re-checking a callback it stored raw before processing it:
 * const event = verifyCallbackFields(row.body, process.env.LATIPAY_API_KEY!);
 * // At the endpoint, with the headers (a replay more than 5 minutes old is refused):
 * const fresh = verifyCallbackFields(rawBody, apiKey, { headers: req.headers, requireWebhookHeaders: true });
 */
export function verifyCallbackFields(input: FormInput, apiKey: string | readonly string[], options: CallbackVerifyOptions = {}): CallbackEvent {
  const fields = readFields(input, 'callback');
  let webhook: VerifiedWebhook | undefined;
  if (options.headers !== undefined && hasWebhookHeaders(options.headers)) {
    webhook = verifyWebhookHeaders(options.headers, rawBodyOf(input), apiKey, options);
  } else if (options.requireWebhookHeaders) {
    throw new LatipaySignatureError('the callback has no Standard Webhooks headers (webhook-id, webhook-timestamp, webhook-signature)');
  }
  const signed = checkSigned(fields, apiKey, 'callback');
  return {
    type: 'callback',
    ...signed,
    order_id: fields['order_id'] ?? '',
    pay_time: fields['pay_time'] ?? '',
    paid: signed.status === 'paid',
    fields,
    ...(webhook ? { webhook } : {}),
  };
}

/** The bytes a webhook signature covers: the body as received, or a parsed one serialised again. */
function rawBodyOf(input: FormInput): string | Buffer {
  if (typeof input === 'string' || Buffer.isBuffer(input)) return input;
  if (input instanceof URLSearchParams) return input.toString();
  return new URLSearchParams(Object.entries(input).map(([key, value]): [string, string] => [key, String(value)])).toString();
}

/**
 * Verifies the redirect to `return_url` (spec §4.5): a whole URL, a path with its query,
 * or the query string alone (with or without `?`). Fields of your own in the return_url
 * are left alone; throws `LatipaySignatureError` when the signed ones do not verify.
 * (`latipay.verifyReturn` is the same with the client's key.)
 *
 * @example
 * const back = verifyReturnQuery('/return?merchant_reference=order-1&payment_method=alipay&status=paid&currency=NZD&amount=12.50&signature=…', apiKey);
 * back.paid; // true
 */
export function verifyReturnQuery(input: string | URL | URLSearchParams | Readonly<Record<string, unknown>>, apiKey: string | readonly string[]): ReturnEvent {
  let form: FormInput;
  if (input instanceof URL) form = input.searchParams;
  else if (typeof input === 'string') form = queryPart(input);
  else form = input;
  const fields = readFields(form, 'redirect');
  const signed = checkSigned(fields, apiKey, 'redirect');
  return { type: 'return', ...signed, paid: signed.status === 'paid' };
}

function queryPart(text: string): string {
  const hash = text.indexOf('#');
  const withoutHash = hash === -1 ? text : text.slice(0, hash);
  const question = withoutHash.indexOf('?');
  return question === -1 ? withoutHash : withoutHash.slice(question + 1);
}

function checkSigned(fields: Readonly<Record<string, string>>, apiKey: string | readonly string[], what: string): ResultSignatureFields & { signature: string } {
  const present = (name: keyof ResultSignatureFields | 'signature'): string => {
    const value = fields[name];
    if (!value) throw new LatipaySignatureError(`the ${what} has no ${name}`);
    return value;
  };
  const signed: ResultSignatureFields = {
    merchant_reference: present('merchant_reference'),
    payment_method: present('payment_method'),
    status: present('status'),
    currency: present('currency'),
    amount: present('amount'),
  };
  const signature = present('signature');
  const keys = typeof apiKey === 'string' ? [apiKey] : apiKey;
  // Each key is compared in constant time; all are tried, so timing does not tell which matched.
  const matches = keys.map((key) => signaturesMatch(signResult(signed, key), signature));
  if (!matches.includes(true)) {
    throw new LatipaySignatureError(`the ${what}'s signature does not match its fields (tampered with, or another api_key)`);
  }
  return { ...signed, signature };
}

/** Flat string fields; a field given twice is refused, since readers may disagree on which one counts. */
function readFields(input: FormInput, what: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const take = (key: string, value: unknown) => {
    if (Object.prototype.hasOwnProperty.call(out, key)) throw new LatipaySignatureError(`the ${what} repeats the field ${key}`);
    if (typeof value !== 'string') throw new LatipaySignatureError(`the ${what}'s field ${key} is not text`);
    out[key] = value;
  };
  if (typeof input === 'string' || Buffer.isBuffer(input)) {
    const text = typeof input === 'string' ? input : input.toString('utf8');
    for (const [key, value] of new URLSearchParams(text)) take(key, value);
  } else if (input instanceof URLSearchParams) {
    for (const [key, value] of input) take(key, value);
  } else if (typeof input === 'object' && input !== null) {
    for (const [key, value] of Object.entries(input)) take(key, value);
  } else {
    throw new LatipaySignatureError(`the ${what} has no fields`);
  }
  return { ...out };
}
