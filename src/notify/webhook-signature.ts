import { createHmac } from 'node:crypto';
import { signResult } from '../domain/signature.js';

/**
 * What signs a callback at the moment it is sent: the Standard Webhooks headers (spec §4.4
 * [ours]) and the Latipay `signature` field, both with the keys due at that moment (a key
 * rotation may have begun or ended since the body was written). Pure functions.
 */

/**
 * The callback's `webhook-id`: the same on every attempt of one notification, different
 * for every notification. Its creation time is part of it, so a notification id reused
 * after a database is restored from a backup does not repeat an id merchants have seen.
 */
export function webhookId(notification: { readonly id: number | string; readonly created_at: number | string }): string {
  return `msg_${notification.id}_${Number(notification.created_at).toString(36)}`;
}

/**
 * The `webhook-signature` header: `v1,` + base64 of HMAC-SHA256 over
 * `id + "." + timestamp + "." + body`, keyed by each api key's UTF-8 bytes, space-separated
 * (two during a key rotation's grace period, so either key verifies it).
 */
export function webhookSignature(apiKeys: readonly string[], id: string, timestampSeconds: number, body: string): string {
  const content = `${id}.${timestampSeconds}.${body}`;
  return apiKeys.map((key) => `v1,${createHmac('sha256', Buffer.from(key, 'utf8')).update(content, 'utf8').digest('base64')}`).join(' ');
}

/** The three Standard Webhooks headers of one attempt. */
export function webhookHeaders(apiKeys: readonly string[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': webhookSignature(apiKeys, id, timestampSeconds, body),
  };
}

/**
 * The stored form body with its Latipay `signature` (spec §2.3) made again with `apiKey`;
 * every other field, and the order of the fields, as stored.
 */
export function resignCallbackBody(body: string, apiKey: string): string {
  const form = new URLSearchParams(body);
  const field = (name: string) => form.get(name) ?? '';
  const signature = signResult(apiKey, {
    merchant_reference: field('merchant_reference'),
    payment_method: field('payment_method'),
    status: field('status'),
    currency: field('currency'),
    amount: field('amount'),
  });
  form.set('signature', signature);
  return form.toString();
}
