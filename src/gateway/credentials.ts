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
  /** The key before the last rotation, still accepted until `previousUntil` (the grace period). */
  readonly previousApiKey?: string;
  readonly previousUntil?: number;
  /** False: the legacy concatenated signatures (spec §2.2.4–6) are refused. */
  readonly legacySignatures: boolean;
}

/** True while a rotated-out key is still accepted. */
export function inGracePeriod(user: MerchantUser, now: number): boolean {
  return user.previousApiKey !== undefined && user.previousUntil !== undefined && now < user.previousUntil;
}

/**
 * The key that signs what the merchant receives without having asked with a signed request
 * (callbacks, return_url redirects, gatewaydata): the old key until a rotation's grace
 * period ends, so a merchant's server that has not switched yet sees no signature failure.
 */
export function outgoingKey(user: MerchantUser, now: number): string {
  return inGracePeriod(user, now) ? (user.previousApiKey as string) : user.apiKey;
}

/** The keys a request may be signed with at `now`: the current one, and the previous during its grace period. */
export function acceptedKeys(user: MerchantUser, now: number): string[] {
  return inGracePeriod(user, now) ? [user.apiKey, user.previousApiKey as string] : [user.apiKey];
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
    const previous =
      record.api_key_previous_sealed !== null && record.api_key_previous_until !== null
        ? { previousApiKey: this.#secrets.open(record.api_key_previous_sealed), previousUntil: Number(record.api_key_previous_until) }
        : {};
    return {
      id: record.id,
      organisationId: Number(record.organisation_id),
      name: record.name,
      active: Number(record.active) === 1,
      apiKey: this.#secrets.open(record.api_key_sealed),
      ...previous,
      legacySignatures: Number(record.legacy_signatures) !== 0,
    };
  }
}
