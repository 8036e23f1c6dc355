// The WeChat Pay APIv3 primitives the fake needs, written directly on node:crypto. Nothing here is
// shared with src/: the fake must check the gateway's adapter independently.
import crypto from 'node:crypto';

export const AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';
export const PROBE_PREFIX = 'WECHATPAY/SIGNTEST/';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random string of `length` characters from [A-Za-z0-9] (nonce_str, Wechatpay-Nonce, AEAD nonces). */
export function randomString(length: number): string {
  const bytes = crypto.randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[bytes[i] % ALPHANUMERIC.length];
  return out;
}

export function randomDigits(length: number): string {
  const bytes = crypto.randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += String(bytes[i] % 10);
  return out;
}

/** `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n` as bytes (the body bytes exactly as sent). */
export function requestSigningMessage(method: string, url: string, timestamp: string, nonce: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${method}\n${url}\n${timestamp}\n${nonce}\n`, 'utf8'), body, Buffer.from('\n')]);
}

/** `TIMESTAMP\nNONCE\nBODY\n` as bytes: what WeChat Pay signs on answers and notifications. */
export function responseSigningMessage(timestamp: string, nonce: string, body: Buffer | string): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`, 'utf8'), bytes, Buffer.from('\n')]);
}

export function signBase64(message: Buffer, privateKey: crypto.KeyObject): string {
  return crypto.sign('sha256', message, privateKey).toString('base64');
}

export function verifyBase64(message: Buffer, signatureBase64: string, publicKey: crypto.KeyObject): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signatureBase64)) return false;
  try {
    return crypto.verify('sha256', message, publicKey, Buffer.from(signatureBase64, 'base64'));
  } catch {
    return false;
  }
}

export interface AuthorizationParams {
  mchid: string;
  nonce_str: string;
  timestamp: string;
  serial_no: string;
  signature: string;
}

/** Parses `WECHATPAY2-SHA256-RSA2048 k="v",k="v",...`; null when the scheme or a parameter is missing. */
export function parseAuthorization(header: string | undefined): AuthorizationParams | null {
  if (!header) return null;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== AUTH_SCHEME) return null;
  const params: Record<string, string> = {};
  const pattern = /\s*([a-z_]+)="([^"]*)"\s*(?:,|$)/gy;
  const rest = header.slice(space + 1);
  let match: RegExpExecArray | null;
  let consumed = 0;
  while ((match = pattern.exec(rest)) !== null) {
    params[match[1]] = match[2];
    consumed = pattern.lastIndex;
    if (consumed >= rest.length) break;
  }
  if (consumed !== rest.length) return null;
  const { mchid, nonce_str, timestamp, serial_no, signature } = params;
  if (!mchid || !nonce_str || !timestamp || !serial_no || !signature) return null;
  return { mchid, nonce_str, timestamp, serial_no, signature };
}

/** AEAD_AES_256_GCM: base64(ciphertext || 16-byte tag); key, nonce and AAD as UTF-8 bytes. */
export function aeadEncrypt(apiV3Key: string, nonce: string, associatedData: string, plaintext: string): string {
  const key = Buffer.from(apiV3Key, 'utf8');
  if (key.length !== 32) throw new Error(`the APIv3 key must be 32 bytes, got ${key.length}`);
  const cipher = crypto.createCipheriv('aes-256-gcm', key, Buffer.from(nonce, 'utf8'), { authTagLength: 16 });
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const encrypted = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return Buffer.concat([encrypted, cipher.getAuthTag()]).toString('base64');
}

export function aeadDecrypt(apiV3Key: string, nonce: string, associatedData: string, ciphertextBase64: string): string {
  const key = Buffer.from(apiV3Key, 'utf8');
  const data = Buffer.from(ciphertextBase64, 'base64');
  if (key.length !== 32) throw new Error(`the APIv3 key must be 32 bytes, got ${key.length}`);
  if (data.length < 16) throw new Error('ciphertext shorter than the GCM tag');
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'utf8'), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(associatedData, 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
}

/** RFC 3339 in Beijing time (+08:00), the way WeChat Pay writes times. */
export function beijingTime(epochMs: number): string {
  const shifted = new Date(epochMs + 8 * 3600 * 1000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${shifted.getUTCFullYear()}-${pad(shifted.getUTCMonth() + 1)}-${pad(shifted.getUTCDate())}T${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}+08:00`;
}

/** The public key of a PEM that is either a public key or a certificate (then also its serial). */
export function publicKeyFromPem(pem: string): { key: crypto.KeyObject; certificateSerial?: string } {
  if (pem.includes('BEGIN CERTIFICATE')) {
    const cert = new crypto.X509Certificate(pem);
    return { key: cert.publicKey, certificateSerial: cert.serialNumber.toUpperCase() };
  }
  return { key: crypto.createPublicKey(pem) };
}
