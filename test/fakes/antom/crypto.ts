// The Antom signature primitives the fake needs, written directly on node:crypto. Nothing here is
// shared with src/: the fake must check the gateway's adapter independently.
import crypto from 'node:crypto';

/**
 * content_to_be_signed / content_to_be_validated as bytes:
 * `<HTTP-METHOD> <HTTP-URI>\n<Client-Id>.<time>.<body>` with the body bytes exactly as sent.
 */
export function signingContent(method: string, uri: string, clientId: string, time: string, body: Buffer | string): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from(`${method} ${uri}\n${clientId}.${time}.`, 'utf8'), bytes]);
}

/** urlEncode(base64(SHA256withRSA(message))): the value that goes after `signature=`. */
export function signUrlEncoded(message: Buffer, privateKey: crypto.KeyObject): string {
  return encodeURIComponent(crypto.sign('sha256', message, privateKey).toString('base64'));
}

/**
 * Decodes a signature value the way Antom's Java side does (java.net.URLDecoder, i.e. form
 * decoding: "+" becomes a space, %XX in either case), then strict base64. Null when malformed.
 */
export function decodeSignatureValue(value: string): Buffer | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(decoded) || decoded.length % 4 !== 0) return null;
  return Buffer.from(decoded, 'base64');
}

export function verifyUrlEncoded(message: Buffer, value: string, publicKey: crypto.KeyObject): boolean {
  const signature = decodeSignatureValue(value);
  if (!signature) return false;
  try {
    return crypto.verify('sha256', message, publicKey, signature);
  } catch {
    return false;
  }
}

export interface SignatureHeader {
  algorithm: string;
  keyVersion?: string;
  signature: string;
}

/**
 * Parses `algorithm=RSA256, keyVersion=1, signature=…` (spaces after the commas optional, keys in
 * any order). Null when algorithm or signature is missing or a part is not key=value.
 */
export function parseSignatureHeader(header: string | undefined): SignatureHeader | null {
  if (!header) return null;
  const parts: Record<string, string> = {};
  for (const raw of header.split(',')) {
    const part = raw.trim();
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    parts[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  if (!parts.algorithm || !parts.signature) return null;
  return { algorithm: parts.algorithm, keyVersion: parts.keyVersion, signature: parts.signature };
}

/** ISO 8601 with an explicit offset and no milliseconds, e.g. 2019-05-28T12:12:14+08:00. */
export function isoTime(epochMs: number, offsetMinutes = 480): string {
  const shifted = new Date(epochMs + offsetMinutes * 60_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  const offset = offsetMinutes === 0 ? 'Z' : `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
  return (
    `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}` +
    `T${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}${offset}`
  );
}

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * A request time as sent: milliseconds since the epoch (the documentation's example, the Java and
 * Go SDKs) or ISO 8601 with a zone (the Python SDK). Returns epoch milliseconds, or null.
 */
export function parseRequestTime(value: string | undefined): number | null {
  if (!value) return null;
  if (/^\d{13}$/.test(value)) return Number(value);
  if (ISO_8601.test(value)) {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? null : ms;
  }
  return null;
}

export function isIsoDateTime(value: string): boolean {
  return ISO_8601.test(value) && !Number.isNaN(Date.parse(value));
}

/**
 * JSON with object keys in alphabetical order at every level, compact — the way Antom's answers
 * and notifications are serialised (see test/vectors/antom/sandbox-response.json).
 */
export function sortedJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as Record<string, unknown>).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function randomDigits(length: number): string {
  const bytes = crypto.randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += String(bytes[i] % 10);
  return out;
}
