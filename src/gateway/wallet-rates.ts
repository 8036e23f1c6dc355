import { latipayError } from '../domain/errors.js';
import type { RequestParams } from '../domain/request-params.js';
import { signObject } from '../domain/signature.js';
import { formatWireTime } from '../domain/time.js';
import { listRates } from '../store/fx-rates.js';
import { findAssignedWallet } from '../store/merchants.js';
import { authenticateRequest, type RequestOrigin } from './authenticate.js';
import type { GatewayContext } from './context.js';

export interface WalletRate {
  /** The currency the wallet's currency converts to (`CNY`). */
  currency: string;
  /** A decimal string: 1 unit of the wallet's currency is worth `rate` units of `currency`. */
  rate: string;
  /** When the rate was last set, `YYYY-MM-DD HH:mm:ss` in TIMEZONE_OFFSET. */
  updated_at: string;
}

export interface WalletRates {
  currency: string;
  rates: WalletRate[];
  signature: string;
}

/**
 * `GET /v2/all_rate?user_id&wallet_id&signature` (spec §4.11) [ours: the spec leaves the
 * shape open]: the rates of the table whose base is the wallet's currency, read fresh
 * (orders read them through a 2 s cache, and keep the rate recorded at creation).
 * Signed with the sorted signature (§2.1) over two flat fields: `currency` and `rates`
 * written as `QUOTE:RATE` joined by `,` in the answer's order (`currency=NZD&rates=CNY:4.6449`).
 */
export async function listWalletRates(ctx: GatewayContext, params: RequestParams, origin: RequestOrigin): Promise<WalletRates> {
  params.requireAll(['user_id', 'wallet_id', 'signature']);
  const { user, key } = await authenticateRequest(ctx, params, origin);
  const walletId = params.required('wallet_id');
  const wallet = await findAssignedWallet(ctx.store.db, walletId, user.id);
  if (!wallet) throw latipayError('WALLET_NOT_ASSIGNED', `wallet_id ${walletId} is not assigned to ${user.id}`);
  const rows = await listRates(ctx.store.db, wallet.currency);
  const rates = rows.map((row) => ({
    currency: row.quote,
    rate: row.rate,
    updated_at: formatWireTime(Number(row.updated_at), ctx.config.timeZoneOffsetMinutes),
  }));
  return { currency: wallet.currency, rates, signature: signRates(wallet.currency, rates, key) };
}

/** The all_rate answer's signature (documented in the README: merchants recompute it). */
export function signRates(currency: string, rates: ReadonlyArray<Pick<WalletRate, 'currency' | 'rate'>>, apiKey: string): string {
  return signObject({ currency, rates: rates.map((r) => `${r.currency}:${r.rate}`).join(',') }, apiKey);
}
