import { createHmac, timingSafeEqual } from 'node:crypto';
import { LatipaySignatureError } from './errors.js';

/**
 * The Standard Webhooks headers this gateway adds to every callback: `webhook-id` (the
 * same on every retry of one notification), `webhook-timestamp` (Unix seconds of the
 * attempt) and `webhook-signature` (`v1,` + base64 of HMAC-SHA256 over
 * `id + "." + timestamp + "." + raw body`, keyed by the api_key's UTF-8 bytes; several
 * space-separated during a key rotation). They let a merchant refuse a replayed callback.
 * A Standard Webhooks library verifies them too, with the secret `whsec_` + base64(api_key).
 */

/** Request headers as Node (`req.headers`), fetch (`Headers`) or a plain object give them. */
export type WebhookHeaders = { get(name: string): string | null } | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface WebhookVerifyOptions {
  /** How far the timestamp may be from now, either way (default 300 s). */
  toleranceSeconds?: number | undefined;
  /** Now, in epoch milliseconds (default `Date.now()`). */
  now?: number | undefined;
}

/** What verified headers say: the notification's id (the same on each retry) and the attempt's time. */
export interface VerifiedWebhook {
  id: string;
  /** Unix seconds. */
  timestamp: number;
}

export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

const NAMES = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (key.toLowerCase() !== name) continue;
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) throw new LatipaySignatureError(`the callback repeats the header ${name}`);
  }
  return undefined;
}

/**
 * True when the request carries any of the Standard Webhooks headers (then all three must
 * verify; a callback from Latipay itself carries none).
 *
 * @example
 * if (hasWebhookHeaders(req.headers)) verifyWebhookHeaders(req.headers, rawBody, apiKey);
 */
export function hasWebhookHeaders(headers: WebhookHeaders | undefined): boolean {
  return headers !== undefined && NAMES.some((name) => header(headers, name) !== undefined);
}

/**
 * Verifies a callback's Standard Webhooks headers against its raw body (the exact bytes
 * received) with the api key (or any of several keys), in constant time: any of the
 * space-separated `v1` signatures may match. A timestamp more than `toleranceSeconds` away
 * from now, either way, is refused (a replay, or a clock far off). Throws
 * `LatipaySignatureError`; returns the id and timestamp.
 *
 * @example
 * const { id } = verifyWebhookHeaders(req.headers, rawBody, process.env.LATIPAY_API_KEY!);
 * if (await seen(id)) return res.end('sent'); // a retry of what is already recorded
 */
export function verifyWebhookHeaders(
  headers: WebhookHeaders,
  rawBody: string | Buffer,
  apiKeys: string | readonly string[],
  options: WebhookVerifyOptions = {},
): VerifiedWebhook {
  const [id, timestampText, signatures] = NAMES.map((name) => header(headers, name));
  if (!id || !timestampText || !signatures) throw new LatipaySignatureError('the callback lacks one of webhook-id, webhook-timestamp, webhook-signature');
  if (!/^\d{1,15}$/.test(timestampText)) throw new LatipaySignatureError('the callback’s webhook-timestamp is not Unix seconds');
  const timestamp = Number(timestampText);
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (timestamp < now - tolerance) throw new LatipaySignatureError(`the callback's webhook-timestamp is more than ${tolerance} s old (a replay?)`);
  if (timestamp > now + tolerance) throw new LatipaySignatureError(`the callback's webhook-timestamp is more than ${tolerance} s ahead`);

  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  const content = Buffer.concat([Buffer.from(`${id}.${timestampText}.`, 'utf8'), body]);
  const expected = (typeof apiKeys === 'string' ? [apiKeys] : apiKeys).map((key) => createHmac('sha256', Buffer.from(key, 'utf8')).update(content).digest());
  const given = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'));
  // Every pair is compared (no early exit): which key matched is not revealed by timing.
  let matched = false;
  for (const signature of given) {
    for (const digest of expected) {
      if (signature.length === digest.length && timingSafeEqual(signature, digest)) matched = true;
    }
  }
  if (!matched) throw new LatipaySignatureError('the callback’s webhook-signature does not match its body (tampered with, or another api_key)');
  return { id, timestamp };
}
