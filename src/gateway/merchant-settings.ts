import { updateUser } from '../store/merchants.js';
import type { Db } from '../store/store.js';
import { recordAudit, type Actor } from './audit.js';
import { MerchantInputError } from './create-merchant.js';

/**
 * Disables or enables a user: a disabled user's requests answer 205 (running gateways see
 * it within their credential cache's few seconds); its orders, callbacks and refunds in
 * flight go on.
 */
export async function setUserActive(db: Db, userId: string, active: boolean, now: number, by: Actor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (!(await updateUser(trx, userId, { active: active ? 1 : 0 }))) throw new MerchantInputError(`no user ${userId}`);
    await recordAudit(trx, by, active ? 'merchant.enable' : 'merchant.disable', userId, {}, now);
  });
}

/** Allows or refuses a user's legacy concatenated signatures (spec §2.2.4–6). */
export async function setLegacySignatures(db: Db, userId: string, allowed: boolean, now: number, by: Actor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (!(await updateUser(trx, userId, { legacy_signatures: allowed ? 1 : 0 }))) throw new MerchantInputError(`no user ${userId}`);
    await recordAudit(trx, by, 'merchant.set', userId, { legacy_signatures: allowed ? 'on' : 'off' }, now);
  });
}
