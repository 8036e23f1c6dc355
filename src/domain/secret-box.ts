import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Encrypts secrets at rest (api keys must stay recoverable to compute HMACs, so they are
 * encrypted, never hashed). AES-256-GCM with a random IV; the stored form is
 * `v1:<iv>:<tag>:<ciphertext>` in base64url.
 *
 * During a key rotation a box also holds the previous master key (SECRET_KEY_PREVIOUS):
 * it opens secrets sealed with either, and seals only with the current one.
 */
export class SecretBox {
  readonly #key: Buffer;
  readonly #previous: Buffer | undefined;

  constructor(masterKey: Buffer, previousKey?: Buffer) {
    if (masterKey.length !== 32) throw new RangeError('SECRET_KEY must be 32 bytes');
    if (previousKey !== undefined && previousKey.length !== 32) throw new RangeError('SECRET_KEY_PREVIOUS must be 32 bytes');
    this.#key = masterKey;
    this.#previous = previousKey;
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join(':');
  }

  /** Opens a sealed secret; throws UnreadableSecretError when no key this box holds opens it. */
  open(sealed: string): string {
    try {
      return openWith(this.#key, sealed);
    } catch (error) {
      if (this.#previous === undefined) throw new UnreadableSecretError(error);
      try {
        return openWith(this.#previous, sealed);
      } catch (second) {
        throw new UnreadableSecretError(second);
      }
    }
  }

  /** A key for another purpose (e.g. the sandbox provider's signing key), derived so it never equals the master key. */
  deriveKey(purpose: string): string {
    return derive(this.#key, purpose);
  }

  /**
   * Names the master key without revealing it: recorded in the database, so that a process
   * given another key refuses to start instead of failing on every merchant's request.
   */
  fingerprint(): string {
    return fingerprintOf(this.#key);
  }

  /** The previous key's fingerprint, when the box holds one. */
  previousFingerprint(): string | undefined {
    return this.#previous === undefined ? undefined : fingerprintOf(this.#previous);
  }
}

/** A sealed secret that the configured SECRET_KEY (and SECRET_KEY_PREVIOUS) cannot open. */
export class UnreadableSecretError extends Error {
  constructor(cause: unknown) {
    super('a stored secret cannot be opened with this SECRET_KEY', { cause });
    this.name = 'UnreadableSecretError';
  }
}

function openWith(key: Buffer, sealed: string): string {
  const [version, iv, tag, body] = sealed.split(':');
  if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unreadable sealed secret');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'), {
    // Without a fixed length GCM accepts a tag truncated to 4 bytes, which is far easier to forge.
    authTagLength: 16,
  });
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

function derive(key: Buffer, purpose: string): string {
  return createHmac('sha256', key).update(`latipay-gateway:${purpose}`).digest('hex');
}

function fingerprintOf(key: Buffer): string {
  return derive(key, 'fingerprint').slice(0, 16);
}
