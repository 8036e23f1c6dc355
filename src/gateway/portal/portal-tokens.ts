import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A new unguessable token (256 bits, base64url) for a cookie or a link. */
export function newPortalToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What is stored of a token: its SHA-256, in hex. A stolen database holds no usable session or link. */
export function hashPortalToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compares two strings in constant time (for their length). */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** An HMAC of `value` under `key` (base64url): signs short-lived values the gateway hands out. */
export function signPortalValue(key: string, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('base64url');
}
