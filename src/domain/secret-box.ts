import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Encrypts secrets at rest (api keys must stay recoverable to compute HMACs, so they are
 * encrypted, never hashed). AES-256-GCM with a random IV; the stored form is
 * `v1:<iv>:<tag>:<ciphertext>` in base64url.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new RangeError('SECRET_KEY must be 32 bytes');
    this.#key = masterKey;
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join(':');
  }

  open(sealed: string): string {
    const [version, iv, tag, body] = sealed.split(':');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unreadable sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'), {
      // Without a fixed length GCM accepts a tag truncated to 4 bytes, which is far easier to forge.
      authTagLength: 16,
    });
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** A key for another purpose (e.g. the sandbox provider's signing key), derived so it never equals the master key. */
  deriveKey(purpose: string): string {
    return createHmac('sha256', this.#key).update(`latipay-gateway:${purpose}`).digest('hex');
  }
}
