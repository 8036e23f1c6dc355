import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Antom's RSA256 signatures (docs.antom.com "digital signature"; docs/providers/antom-protocol.md
 * §2–3): SHA256withRSA (PKCS#1 v1.5) over `<METHOD> <URI>\n<Client-Id>.<time>.<body>`, base64,
 * then URL-encoded, in `Signature: algorithm=RSA256,keyVersion=N,signature=…`. The time is the
 * header's exact text and the body the exact bytes sent or received: nothing is re-serialised.
 */

/** content_to_be_signed / content_to_be_validated, as bytes. */
export function signingContent(method: string, uri: string, clientId: string, time: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${method} ${uri}\n${clientId}.${time}.`, 'utf8'), body]);
}

/** urlEncode(base64(SHA256withRSA(content))): the value after `signature=`. */
export function signContent(content: Buffer, privateKey: KeyObject): string {
  return encodeURIComponent(sign('sha256', content, privateKey).toString('base64'));
}

/**
 * The signature bytes of a `signature=` value, decoded as Antom's Java side decodes it
 * (java.net.URLDecoder: `+` is a space, %XX in either case), then strict base64. Null when malformed.
 */
export function decodeSignatureValue(value: string): Buffer | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return null;
  }
  if (decoded.length === 0 || decoded.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(decoded)) return null;
  return Buffer.from(decoded, 'base64');
}

/** Whether `value` (URL-encoded base64) is a signature of `content` by `publicKey`; node:crypto compares. */
export function verifyContent(content: Buffer, value: string, publicKey: KeyObject): boolean {
  const signature = decodeSignatureValue(value);
  if (!signature) return false;
  try {
    return verify('sha256', content, publicKey, signature);
  } catch {
    return false;
  }
}

export interface SignatureHeader {
  readonly algorithm: string;
  readonly keyVersion?: string;
  readonly signature: string;
}

/**
 * Parses `algorithm=RSA256, keyVersion=1, signature=…` (spaces after the commas optional, parts
 * in any order). Null when a part is not key=value, or algorithm or signature is missing.
 */
export function parseSignatureHeader(header: string | undefined): SignatureHeader | null {
  if (!header) return null;
  const parts = new Map<string, string>();
  for (const piece of header.split(',')) {
    const part = piece.trim();
    if (!part) continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const name = part.slice(0, eq).trim();
    if (parts.has(name)) return null;
    parts.set(name, part.slice(eq + 1).trim());
  }
  const algorithm = parts.get('algorithm');
  const signature = parts.get('signature');
  if (!algorithm || !signature) return null;
  const keyVersion = parts.get('keyVersion');
  return keyVersion === undefined ? { algorithm, signature } : { algorithm, keyVersion, signature };
}

/** The `Signature` header of a request. */
export function signatureHeaderOf(keyVersion: string, value: string): string {
  return `algorithm=RSA256,keyVersion=${keyVersion},signature=${value}`;
}

/** Bare base64 as the Antom Dashboard shows keys (line breaks and spaces allowed). */
function bareBase64(text: string): Buffer | null {
  const compact = text.replace(/\s+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return null;
  return Buffer.from(compact, 'base64');
}

/**
 * A private key from a PEM (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`) or from the bare
 * base64 PKCS#8 the Antom Dashboard's key tool gives. Throws when it is neither.
 */
export function parsePrivateKey(text: string): KeyObject {
  if (text.includes('-----BEGIN')) return createPrivateKey(text);
  const der = bareBase64(text);
  if (!der) throw new Error('neither a PEM private key nor base64');
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs1' });
  }
}

/** A public key from a PEM (`PUBLIC KEY`) or the bare base64 SPKI the Antom Dashboard shows. */
export function parsePublicKey(text: string): KeyObject {
  if (text.includes('-----BEGIN')) return createPublicKey(text);
  const der = bareBase64(text);
  if (!der) throw new Error('neither a PEM public key nor base64');
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

/** The SHA-256 of a key's public half (SPKI DER): the same for a private key and its public key. */
export function keyFingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return 'sha256:' + createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}
