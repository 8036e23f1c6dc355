import type { SecretBox } from '../domain/secret-box.js';
import { findUser, type UserRecord } from '../store/merchants.js';
import type { Db } from '../store/store.js';

export interface MerchantUser {
  readonly id: string;
  readonly organisationId: number;
  readonly name: string;
  readonly active: boolean;
  /** The decrypted api key: only ever used as an HMAC key, never logged. */
  readonly apiKey: string;
}

/**
 * Looks up users and opens their sealed api keys, keeping them for a few seconds so the
 * hot path does not decrypt on every request; a disabled user takes effect within `ttlMs`.
 */
export class Credentials {
  readonly #cache = new Map<string, { user: MerchantUser | undefined; until: number }>();
  readonly #db: Db;
  readonly #secrets: SecretBox;
  readonly #ttlMs: number;

  constructor(db: Db, secrets: SecretBox, ttlMs = 5_000) {
    this.#db = db;
    this.#secrets = secrets;
    this.#ttlMs = ttlMs;
  }

  async findUser(userId: string): Promise<MerchantUser | undefined> {
    const now = Date.now();
    const hit = this.#cache.get(userId);
    if (hit && hit.until > now) return hit.user;
    const record = await findUser(this.#db, userId);
    const user = record ? this.#open(record) : undefined;
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(userId, { user, until: now + this.#ttlMs });
    return user;
  }

  forget(userId: string): void {
    this.#cache.delete(userId);
  }

  #open(record: UserRecord): MerchantUser {
    return {
      id: record.id,
      organisationId: Number(record.organisation_id),
      name: record.name,
      active: record.active === 1,
      apiKey: this.#secrets.open(record.api_key_sealed),
    };
  }
}
