import { isPaymentMethod } from '../domain/payment-methods.js';
import { generateApiKey, generateUserId, generateWalletId } from '../domain/ids.js';
import { isCurrency, parseAmount } from '../domain/money.js';
import type { SecretBox } from '../domain/secret-box.js';
import { assignWallet, insertOrganisation, insertUser, insertWallet } from '../store/merchants.js';
import type { Db } from '../store/store.js';
import { recordAudit, type Actor } from './audit.js';

export interface CreateMerchantInput {
  name: string;
  currency: string;
  methods: string[];
  /** Single-payment limit as a decimal string ("5000"), or undefined for none. */
  limit?: string;
  /** A test wallet: the sandbox serves it even in production, and it never takes real money. */
  test?: boolean;
}

export interface CreatedMerchant {
  organisation_id: number;
  user_id: string;
  wallet_id: string;
  api_key: string;
  test: boolean;
}

/** A merchant-management request that cannot be carried out as given (an unknown user, a bad value). */
export class MerchantInputError extends Error {}

/** Creates an organisation with one user and one wallet assigned to it, in one transaction. */
export async function createMerchant(db: Db, secrets: SecretBox, input: CreateMerchantInput, now: number, by?: Actor): Promise<CreatedMerchant> {
  const name = input.name.trim();
  if (!name) throw new MerchantInputError('--name must not be empty');
  const currency = input.currency.trim().toUpperCase();
  if (!isCurrency(currency)) {
    throw new MerchantInputError(`--currency must be an ISO 4217 code with two decimal places such as NZD, AUD or CNY, got ${JSON.stringify(input.currency)}`);
  }
  const methods = input.methods.map((m) => m.trim()).filter(Boolean);
  if (methods.length === 0) throw new MerchantInputError('--methods must name at least one payment method');
  for (const m of methods) if (!isPaymentMethod(m)) throw new MerchantInputError(`unknown payment method ${JSON.stringify(m)}`);
  let limitMinor: number | null = null;
  if (input.limit !== undefined) {
    const parsed = parseAmount(input.limit);
    if (!parsed.ok) throw new MerchantInputError(`--limit ${parsed.reason}`);
    limitMinor = parsed.minor;
  }
  const test = input.test === true;
  const apiKey = generateApiKey();
  const userId = generateUserId();
  const walletId = generateWalletId();
  const organisationId = await db.transaction().execute(async (trx) => {
    const orgId = await insertOrganisation(trx, name, now);
    await insertUser(trx, { id: userId, organisation_id: orgId, name: `${name} API user`, api_key_sealed: secrets.seal(apiKey), active: 1 }, now);
    await insertWallet(
      trx,
      {
        id: walletId,
        organisation_id: orgId,
        name: `${name} ${currency}${test ? ' (test)' : ''}`,
        currency,
        methods: [...new Set(methods)].join(','),
        single_limit_minor: limitMinor,
        test: test ? 1 : 0,
      },
      now,
    );
    await assignWallet(trx, walletId, userId);
    if (by) await recordAudit(trx, by, 'merchant.create', userId, { organisation_id: orgId, wallet_id: walletId, currency, methods, test }, now);
    return orgId;
  });
  return { organisation_id: organisationId, user_id: userId, wallet_id: walletId, api_key: apiKey, test };
}
