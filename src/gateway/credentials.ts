import type { SecretBox } from '../domain/secret-box.js';
import { findUser, type UserRecord } from '../store/merchants.js';
import type { Db } from '../store/store.js';
import { TtlCache } from './ttl-cache.js';

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
  readonly #cache: TtlCache<MerchantUser | undefined>;
  readonly #db: Db;
  readonly #secrets: SecretBox;

  constructor(db: Db, secrets: SecretBox, ttlMs = 5_000) {
    this.#db = db;
    this.#secrets = secrets;
    this.#cache = new TtlCache(ttlMs);
  }

  findUser(userId: string): Promise<MerchantUser | undefined> {
    return this.#cache.get(userId, async () => {
      const record = await findUser(this.#db, userId);
      return record ? this.#open(record) : undefined;
    });
  }

  /** The user if the cache holds it now, without reading the database. */
  cachedUser(userId: string): MerchantUser | undefined {
    return this.#cache.peek(userId);
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
