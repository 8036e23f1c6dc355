import { createDecipheriv, createHash, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';

/**
 * WeChat Pay API v3's primitives, on node:crypto alone (docs/providers/wechatpay-protocol.md
 * §2–4): the request signing string and Authorization header, SHA256withRSA, the message
 * WeChat Pay signs on answers and notifications, AEAD_AES_256_GCM resources, and the JSAPI
 * paySign. Pure functions: no clock, no I/O, no keys kept.
 */

export const AUTH_SCHEME = 'WECHATPAY2-SHA256-RSA2048';
/** WeChat Pay's signature probes start with this; they never verify and must be refused like any bad signature. */
export const PROBE_PREFIX = 'WECHATPAY/SIGNTEST/';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random `[A-Za-z0-9]` string (nonce_str, the JSAPI nonceStr): 62 letters, rejection-sampled so each is equally likely. */
export function randomNonce(length = 32): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length)) {
      // 248 = 4 × 62: bytes at or above it would favour the first letters.
      if (byte < 248 && out.length < length) out += ALPHANUMERIC[byte % 62];
    }
  }
  return out;
}

/**
 * `METHOD\nURL\nTIMESTAMP\nNONCE\nBODY\n`: what a request's signature covers. `url` is the
 * path and query exactly as sent; `body` the exact bytes sent ('' for a GET). A body that
 * ends in a newline still gets the final one.
 */
export function requestSigningMessage(method: string, url: string, timestamp: string, nonce: string, body: Buffer | string): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from(`${method}\n${url}\n${timestamp}\n${nonce}\n`, 'utf8'), bytes, Buffer.from('\n')]);
}

/** The Authorization header of a signed request (the five parameters, in the order the SDKs write them). */
export function authorizationHeader(p: { mchid: string; nonce: string; timestamp: string; serialNo: string; signature: string }, scheme = AUTH_SCHEME): string {
  return `${scheme} mchid="${p.mchid}",nonce_str="${p.nonce}",timestamp="${p.timestamp}",serial_no="${p.serialNo}",signature="${p.signature}"`;
}

/** `TIMESTAMP\nNONCE\nBODY\n`: what WeChat Pay signs on its answers and notifications (an empty body leaves `\n`). */
export function answerSigningMessage(timestamp: string, nonce: string, body: Buffer | string): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([Buffer.from(`${timestamp}\n${nonce}\n`, 'utf8'), bytes, Buffer.from('\n')]);
}

/** SHA256withRSA (RSASSA-PKCS1-v1_5), base64. */
export function signSha256Rsa(message: Buffer | string, privateKey: KeyObject): string {
  return sign('sha256', typeof message === 'string' ? Buffer.from(message, 'utf8') : message, privateKey).toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Whether `signatureBase64` is a SHA256withRSA signature of `message` by `publicKey`. Anything malformed is false. */
export function verifySha256Rsa(message: Buffer | string, signatureBase64: string, publicKey: KeyObject): boolean {
  // Node decodes base64 leniently (skipping what is not base64): a probe or a mangled value must not get through.
  if (typeof signatureBase64 !== 'string' || !BASE64.test(signatureBase64) || signatureBase64.length % 4 !== 0) return false;
  try {
    return verify('sha256', typeof message === 'string' ? Buffer.from(message, 'utf8') : message, publicKey, Buffer.from(signatureBase64, 'base64'));
  } catch {
    return false;
  }
}

/** An encrypted resource of a notification or of the certificate list. */
export interface EncryptedResource {
  readonly algorithm?: string;
  readonly ciphertext: string;
  readonly associated_data?: string;
  readonly nonce: string;
}

/**
 * Decrypts an AEAD_AES_256_GCM resource: key = the 32-byte APIv3 key, IV = the nonce's
 * UTF-8 bytes, AAD = associated_data's, ciphertext = base64(encrypted ‖ 16-byte tag).
 * Throws when the key is not 32 bytes or the tag does not authenticate (wrong key, nonce,
 * associated data, or a tampered ciphertext).
 */
export function decryptResource(apiV3Key: string, resource: EncryptedResource): string {
  const key = Buffer.from(apiV3Key, 'utf8');
  if (key.length !== 32) throw new Error(`the APIv3 key must be 32 bytes, not ${key.length}`);
  if (resource.algorithm !== undefined && resource.algorithm !== 'AEAD_AES_256_GCM') throw new Error(`unknown resource algorithm ${resource.algorithm}`);
  if (typeof resource.ciphertext !== 'string' || !BASE64.test(resource.ciphertext)) throw new Error('the ciphertext is not base64');
  if (typeof resource.nonce !== 'string' || resource.nonce.length === 0) throw new Error('the resource has no nonce');
  const data = Buffer.from(resource.ciphertext, 'base64');
  if (data.length < 16) throw new Error('the ciphertext is shorter than its tag');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(resource.nonce, 'utf8'), { authTagLength: 16 });
  decipher.setAAD(Buffer.from(resource.associated_data ?? '', 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
}

/** The parameters WeixinJSBridge's getBrandWCPayRequest takes. */
export interface JsapiInvokeParams {
  readonly appId: string;
  readonly timeStamp: string;
  readonly nonceStr: string;
  readonly package: string;
  readonly signType: 'RSA';
  readonly paySign: string;
}

/** The JSAPI parameters for a prepay_id: paySign is the merchant key's SHA256withRSA over `appId\ntimeStamp\nnonceStr\npackage\n`. */
export function jsapiInvokeParams(appId: string, prepayId: string, privateKey: KeyObject, timestampSeconds: number, nonceStr = randomNonce()): JsapiInvokeParams {
  const timeStamp = String(timestampSeconds);
  const pkg = `prepay_id=${prepayId}`;
  return { appId, timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign: signSha256Rsa(`${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`, privateKey) };
}

/**
 * A key's SHA-256 fingerprint: of the SubjectPublicKeyInfo DER of its public half (so a
 * private key and its certificate show the same), as `sha256:` and 64 hex digits.
 */
export function publicKeyFingerprint(key: KeyObject): string {
  const spki = (key.type === 'private' ? createPublicKey(key) : key).export({ type: 'spki', format: 'der' });
  return 'sha256:' + createHash('sha256').update(spki).digest('hex');
}
