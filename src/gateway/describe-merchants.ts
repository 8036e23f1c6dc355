import { formatAmount } from '../domain/money.js';
import { findUser, listUsers, listWalletsOfUser, findOrganisationName, type UserRecord, type WalletRecord } from '../store/merchants.js';
import { listSignatureUsage } from '../store/signature-usage.js';
import type { Db } from '../store/store.js';
import { MerchantInputError } from './create-merchant.js';

export interface MerchantSummary {
  organisation_id: number;
  organisation_name: string;
  user_id: string;
  user_name: string;
  status: 'active' | 'disabled';
  legacy_signatures: 'on' | 'off';
  /** Until when the key before the last rotation is still accepted (ISO 8601); null: none is. */
  old_key_valid_until: string | null;
  wallets: Array<{ wallet_id: string; name: string; currency: string; methods: string[]; test: boolean; single_limit: string | null }>;
}

export interface MerchantDetail extends MerchantSummary {
  /** Which signature forms verified this user's requests in the last 30 days, most used first. */
  signature_forms: Array<{ form: string; count: number; last_day: string }>;
}

/** Every merchant user with its wallets (never a key). */
export async function listMerchants(db: Db, now: number): Promise<MerchantSummary[]> {
  const users = await listUsers(db);
  return Promise.all(users.map(async (user) => summarise(user, user.organisation_name, await listWalletsOfUser(db, user.id), now)));
}

/** One merchant user, with the signature forms it used in the last 30 days. */
export async function describeMerchant(db: Db, userId: string, now: number): Promise<MerchantDetail> {
  const user = await findUser(db, userId);
  if (!user) throw new MerchantInputError(`no user ${userId}`);
  const [organisationName, wallets] = await Promise.all([findOrganisationName(db, Number(user.organisation_id)), listWalletsOfUser(db, userId)]);
  const since = new Date(now - 30 * 86_400_000).toISOString().slice(0, 10);
  return { ...summarise(user, organisationName ?? '', wallets, now), signature_forms: await listSignatureUsage(db, userId, since) };
}

function summarise(user: UserRecord, organisationName: string, wallets: WalletRecord[], now: number): MerchantSummary {
  const until = user.api_key_previous_until === null ? null : Number(user.api_key_previous_until);
  return {
    organisation_id: Number(user.organisation_id),
    organisation_name: organisationName,
    user_id: user.id,
    user_name: user.name,
    status: Number(user.active) === 1 ? 'active' : 'disabled',
    legacy_signatures: Number(user.legacy_signatures) === 0 ? 'off' : 'on',
    old_key_valid_until: until !== null && until > now ? new Date(until).toISOString() : null,
    wallets: wallets.map((w) => ({
      wallet_id: w.id,
      name: w.name,
      currency: w.currency,
      methods: w.methods.split(',').filter(Boolean),
      test: Number(w.test) === 1,
      single_limit: w.single_limit_minor === null ? null : formatAmount(Number(w.single_limit_minor)),
    })),
  };
}
