import { ProviderError, type PaymentContext } from '../channels/provider.js';
import { latipayError, type LatipayError } from '../domain/errors.js';
import type { PaymentMethod } from '../domain/payment-methods.js';
import { findOrderByReference, insertOrder, type OrderRecord } from '../store/orders.js';
import type { AttemptRecord } from '../store/payment-attempts.js';
import { isUniqueViolation } from '../store/store.js';
import type { GatewayContext } from './context.js';
import type { MerchantUser } from './credentials.js';
import { currentCnyRate } from './fx-rates.js';
import { newPendingOrder } from './new-order.js';
import { openAttempt } from './start-payment.js';
import { findUsableWallet } from './wallets.js';

/** What a mini program endpoint asks for, once its request is authenticated and its fields read. */
export interface MiniProgramOrderRequest {
  readonly user: MerchantUser;
  readonly method: Extract<PaymentMethod, 'wechat' | 'alipay'>;
  readonly walletId: string;
  readonly amountMinor: number;
  readonly reference: string;
  readonly productName: string;
  /** Where the order's callbacks go (`notify_url` of /v2/miniapppay, `callback_url` of /v2/minialipay). */
  readonly callbackUrl: string;
  /** The customer's IP when the request names it ('' otherwise). */
  readonly ip: string;
  /** What makes two requests the same payment (a merchant's server retrying). */
  readonly requestHash: string;
  /** Who pays, from where: `purpose: 'mini_program'`, and for WeChat the mini program's appid and the payer's openid. */
  readonly context: PaymentContext;
}

export interface MiniProgramPayment {
  readonly order: OrderRecord;
  /** The attempt the mini program pays: its next action is what the wallet is handed. */
  readonly attempt: AttemptRecord;
}

/**
 * The order of a mini program payment and its attempt with the wallet's provider: the
 * checks of `POST /v2/transaction` (wallet assigned 450, method enabled 304, single-payment
 * limit 454, a provider that serves the method 302, and one that can pay inside a mini
 * program, else 302 too), the same insert, and the same rule for a reused
 * `merchant_reference` (spec §4.1 [ours]): the same request on a still-pending order is the
 * same order and the same attempt, so a retry answers what the first request answered;
 * anything else answers 207 and changes nothing. The attempt is opened with the provider
 * outside any transaction; when the provider refuses, the order stays pending (the same
 * request may be sent again) and the merchant is told why (207 for what it sent, 1 otherwise).
 */
export async function placeMiniProgramOrder(ctx: GatewayContext, request: MiniProgramOrderRequest): Promise<MiniProgramPayment> {
  const { user, method, walletId } = request;
  const wallet = await findUsableWallet(ctx, walletId, user.id);
  if (!wallet) throw latipayError('WALLET_NOT_ASSIGNED', `wallet_id ${walletId} is not assigned to ${user.id}`);
  if (!wallet.methods.split(',').includes(method)) throw latipayError('METHOD_NOT_ENABLED', `${method} is not enabled for ${walletId}`);
  if (wallet.single_limit_minor !== null && request.amountMinor > Number(wallet.single_limit_minor)) {
    throw latipayError('OVER_LIMIT', `amount exceeds the wallet's single-payment limit`);
  }
  const route = await ctx.providers.route(wallet, method);
  if (!route) throw latipayError('PAY_COMPANY_NOT_FOUND', `no provider serves ${method} for ${walletId} on this gateway`);
  if (!route.provider.capabilities.miniPrograms?.includes(method)) {
    throw latipayError('PAY_COMPANY_NOT_FOUND', `${walletId}'s ${method} provider (${route.provider.name}) cannot take payments inside a mini program on this gateway`);
  }
  const currencyRate = await currentCnyRate(ctx, wallet.currency);

  for (let round = 0; round < 3; round++) {
    const orderNumber = await ctx.orderNumbers.next();
    const order = newPendingOrder(
      ctx,
      {
        user_id: user.id,
        wallet_id: walletId,
        organisation_id: Number(wallet.organisation_id),
        merchant_reference: request.reference,
        amount_minor: request.amountMinor,
        currency: wallet.currency,
        payment_method: method,
        product_name: request.productName,
        // No hosted page: the mini program pays in place, and its nonce is never handed out.
        return_url: '',
        callback_url: request.callbackUrl,
        backpage_url: null,
        ip: request.ip,
        host_type: '0',
        present_qr: '0',
        request_hash: request.requestHash,
        channel: route.provider.name,
        provider_account_id: route.accountId,
        currency_rate: currencyRate,
      },
      ctx.clock(),
      orderNumber,
    );
    let placed: OrderRecord | undefined;
    try {
      await insertOrder(ctx.store.db, order);
      placed = order;
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const existing = await findOrderByReference(ctx.store.db, user.id, request.reference);
      if (existing) placed = reusable(ctx, existing, request.requestHash);
    }
    if (placed) return { order: placed, attempt: await openMiniProgramAttempt(ctx, placed, request.context) };
  }
  throw latipayError('FAIL', 'could not create the order, try again');
}

function reusable(ctx: GatewayContext, existing: OrderRecord, requestHash: string): OrderRecord {
  if (existing.status !== 'pending' || Number(existing.expires_at) <= ctx.clock()) {
    throw latipayError('BAD_PARAMETER', `merchant_reference is already used by an order that is ${existing.status === 'pending' ? 'expired' : existing.status}`);
  }
  if (existing.request_hash !== requestHash) {
    throw latipayError('BAD_PARAMETER', 'merchant_reference is already used by an order with different parameters');
  }
  return existing;
}

async function openMiniProgramAttempt(ctx: GatewayContext, order: OrderRecord, context: PaymentContext): Promise<AttemptRecord> {
  try {
    return await openAttempt(ctx, order, context);
  } catch (error) {
    if (!(error instanceof ProviderError)) throw error;
    const refused = refusalOf(error);
    if (error.outcome === 'misconfigured' && refused.code !== 207) ctx.log.error({ err: error, orderId: order.order_id }, 'the provider account is misconfigured: a mini program payment could not be opened');
    else ctx.log.warn({ err: error, orderId: order.order_id }, 'a mini program payment could not be opened with the provider');
    throw refused;
  }
}

/**
 * What the merchant is told when the provider would not open the payment. What the
 * merchant sent is at fault when the provider says the mini program's app is not bound to
 * the wallet's merchant (APPID_MCHID_NOT_MATCH) or refuses the request's parameters
 * (PARAM_ERROR: an open_id of another app): 207 with the provider's own words. Anything
 * else is code 1, nothing charged, and the same request may be sent again (the attempt
 * keeps its id, so a provider that acted the first time answers the same payment).
 */
function refusalOf(error: ProviderError): LatipayError {
  if (error.providerCode === 'APPID_MCHID_NOT_MATCH') {
    return latipayError('BAD_PARAMETER', `app_id is not a mini program of the wallet's merchant at the provider: ${error.message}`);
  }
  if (error.providerCode === 'PARAM_ERROR') return latipayError('BAD_PARAMETER', `the provider refused the payment's parameters: ${error.message}`);
  if (error.outcome === 'unknown') return latipayError('FAIL', 'the payment provider did not answer in time; send the same request again');
  return latipayError('FAIL', 'the payment provider could not open the payment and nothing was charged; try again later');
}
