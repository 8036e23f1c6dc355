import { generateApiKey } from '../domain/ids.js';
import type { SecretBox } from '../domain/secret-box.js';
import { findUser, updateUser } from '../store/merchants.js';
import type { Db } from '../store/store.js';
import { recordAudit, type Actor } from './audit.js';
import { MerchantInputError } from './create-merchant.js';

export interface RotatedKey {
  user_id: string;
  /** The new key, shown once. */
  api_key: string;
  /** Until when the old key still verifies requests (ISO 8601), or null when it stopped at once. */
  old_key_valid_until: string | null;
}

/** The longest grace period: a week is enough to deploy a key to every server. */
export const MAX_GRACE_SECONDS = 7 * 86_400;

/**
 * Gives a user a new api key. For `graceSeconds` the old key keeps working (requests signed
 * with either verify, and callbacks stay signed with the old one), so a merchant can roll
 * the new key out to its servers without a single failed signature; 0 ends the old key at
 * once (a leaked key; a lost key, which also makes this the way to recover one). A key
 * still in its grace period from an earlier rotation is dropped. Running gateways see the
 * change within their credential cache's few seconds.
 */
export async function rotateApiKey(db: Db, secrets: SecretBox, userId: string, graceSeconds: number, now: number, by: Actor): Promise<RotatedKey> {
  if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_GRACE_SECONDS) {
    throw new MerchantInputError(`--grace-seconds must be a whole number from 0 to ${MAX_GRACE_SECONDS}`);
  }
  const apiKey = generateApiKey();
  const until = graceSeconds > 0 ? now + graceSeconds * 1000 : null;
  await db.transaction().execute(async (trx) => {
    const user = await findUser(trx, userId);
    if (!user) throw new MerchantInputError(`no user ${userId}`);
    await updateUser(trx, userId, {
      api_key_sealed: secrets.seal(apiKey),
      // The old key stays sealed as it was: it is moved, never shown.
      api_key_previous_sealed: until === null ? null : user.api_key_sealed,
      api_key_previous_until: until,
    });
    await recordAudit(trx, by, 'merchant.rotate_key', userId, { grace_seconds: graceSeconds }, now);
  });
  return { user_id: userId, api_key: apiKey, old_key_valid_until: until === null ? null : new Date(until).toISOString() };
}
