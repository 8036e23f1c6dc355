import { latipayError } from '../domain/errors.js';
import { METHOD_DISPLAY_NAMES } from '../domain/payment-methods.js';
import { RequestParams } from '../domain/request-params.js';
import { findAssignedWallet } from '../store/merchants.js';
import { authenticateRequest, type RequestOrigin } from './authenticate.js';
import type { GatewayContext } from './context.js';

/**
 * `GET /v2/detail/{wallet_id}?user_id&signature` (spec §4.10): the methods the wallet
 * accepts and a provider serves, as display names joined by commas (`Alipay,Wechat`), in the wallet's order.
 * Signed sorted over `wallet_id` (from the path) and `user_id`, or the legacy
 * `HMAC(wallet_id + user_id)` (spec §2.2.6).
 */
export async function describeWallet(
  ctx: GatewayContext,
  walletId: string,
  query: RequestParams,
  origin: RequestOrigin,
): Promise<{ payment_method: string }> {
  query.requireAll(['user_id', 'signature']);
  const userId = query.required('user_id');
  // The path's wallet_id takes part in the signature as if it had been a parameter.
  const params = new RequestParams([['wallet_id', walletId], ...query.entries.filter(([key]) => key !== 'wallet_id')]);
  const { user } = await authenticateRequest(ctx, params, origin, { extra: () => [{ form: 'legacy-detail', message: walletId + userId }] });
  const wallet = await findAssignedWallet(ctx.store.db, walletId, user.id);
  if (!wallet) throw latipayError('WALLET_NOT_ASSIGNED', `wallet_id ${walletId} is not assigned to ${user.id}`);
  // Only what can be paid: a method no provider serves for this wallet is not offered.
  const served = await ctx.providers.servableMethods(wallet, wallet.methods.split(',').map((method) => method.trim()));
  const names = served.map((method) => METHOD_DISPLAY_NAMES[method]);
  return { payment_method: names.join(',') };
}
