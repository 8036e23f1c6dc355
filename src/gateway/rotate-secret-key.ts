import type { SecretBox } from '../domain/secret-box.js';
import { resealAllSecrets } from '../store/sealed-secrets.js';
import { putSetting } from '../store/settings.js';
import type { Db } from '../store/store.js';
import { recordAudit, type Actor } from './audit.js';

export const SECRET_KEY_FINGERPRINT = 'secret_key_fingerprint';

/**
 * Re-seals every stored secret with a new master key, in one transaction, and records the
 * new key's fingerprint: afterwards only processes given the new key (or given it as
 * SECRET_KEY with the old one as SECRET_KEY_PREVIOUS) may start. Answers how many secrets
 * were re-sealed.
 */
export async function rotateSecretKey(db: Db, current: SecretBox, next: SecretBox, now: number, by: Actor): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const count = await resealAllSecrets(trx, (sealed) => next.seal(current.open(sealed)));
    await putSetting(trx, SECRET_KEY_FINGERPRINT, next.fingerprint(), now);
    await recordAudit(trx, by, 'secret.rotate', 'SECRET_KEY', { resealed: count, fingerprint: next.fingerprint() }, now);
    return count;
  });
}
