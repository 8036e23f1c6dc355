import { createHash } from 'node:crypto';
import { notifyUrlOf, type Route } from '../channels/provider-registry.js';
import { ProviderError, type PaymentProvider, type PaymentReport } from '../channels/provider.js';
import type { PaymentMethod } from '../domain/payment-methods.js';
import { latipayError } from '../domain/errors.js';
import { parseAmount } from '../domain/money.js';
import { maskPayCode, parsePayCode } from '../domain/pay-code.js';
import type { RequestParams } from '../domain/request-params.js';
import { isHttpUrl } from '../domain/validation.js';
import { outboundUrlRefusal } from '../notify/outbound-guard.js';
import { findUsableWallet } from './wallets.js';
import { findOrderById, findOrderByReference, insertOrder, type OrderRecord } from '../store/orders.js';
import { attemptIdOf, findLatestAttempt, insertAttempt, updateAttempt } from '../store/payment-attempts.js';
import { recordProviderMessage } from '../store/provider-messages.js';
import { isUniqueViolation } from '../store/store.js';
import { settleReport } from './settle-payment.js';
import { authenticateRequest, type RequestOrigin } from './authenticate.js';
import type { GatewayContext } from './context.js';
import { idempotent } from './idempotency.js';
import { newPendingOrder } from './new-order.js';
import { outgoingKey, type MerchantUser } from './credentials.js';
import { failPendingOrder } from './finish-pending-order.js';
import { currentCnyRate } from './fx-rates.js';

export interface BarcodePayment {
  order_id: string;
}

const REQUIRED = ['user_id', 'wallet_id', 'amount', 'pay_code', 'signature'] as const;

/**
 * `POST /barcode` (spec §4.9): the merchant scanned the customer's pay code. The code's
 * prefix picks the wallet; the order is written pending, then charged with its provider
 * outside any transaction, and the provider's synchronous answer is applied like a
 * notification (order final + callback + ledger credit in one transaction). A pending
 * charge settles later through the provider's notification. The answer is the order id;
 * the result is queried (§4.6) or notified to `callback_url` (§4.4).
 *
 * `merchant_reference` is optional [ours]: Latipay's own example request leaves it out
 * (and signs without it); then the order id is the merchant_reference. Repeating a
 * reference with identical parameters answers the same order and charges nothing again
 * (a cash register retrying after a timeout); different parameters answer 207. Without a
 * reference, an `Idempotency-Key` [ours] does the same for a retry.
 */
export async function createBarcodePayment(
  ctx: GatewayContext,
  params: RequestParams,
  origin: RequestOrigin,
  idempotencyKey?: string,
): Promise<BarcodePayment> {
  params.requireAll(REQUIRED);
  const { user } = await authenticateRequest(ctx, params, origin);
  return idempotent(ctx, user.id, idempotencyKey, 'barcode', params, () => chargeAuthenticated(ctx, params, user));
}

async function chargeAuthenticated(ctx: GatewayContext, params: RequestParams, user: MerchantUser): Promise<BarcodePayment> {
  const amount = parseAmount(params.raw('amount'));
  if (!amount.ok) throw latipayError('BAD_PARAMETER', `amount ${amount.reason}`);
  const payCode = params.required('pay_code');
  const code = parsePayCode(payCode);
  if (!code.ok) throw latipayError('BAD_PARAMETER', `pay_code ${code.reason}`);
  const method = code.method;
  const reference = params.text('merchant_reference');
  if (reference !== undefined && reference.length > 128) throw latipayError('BAD_PARAMETER', 'merchant_reference must be at most 128 characters');
  const productName = params.text('product_name') ?? '';
  if (productName.length > 255) throw latipayError('BAD_PARAMETER', 'product_name must be at most 255 characters');
  const callbackUrl = params.text('callback_url') ?? '';
  if (callbackUrl !== '' && !isHttpUrl(callbackUrl)) throw latipayError('BAD_PARAMETER', 'callback_url must be an absolute http(s) URL');
  const refused = callbackUrl !== '' && ctx.config.outboundGuard ? outboundUrlRefusal(ctx.config, callbackUrl) : undefined;
  if (refused) throw latipayError('BAD_PARAMETER', `callback_url must be a public address: ${refused}`);

  const walletId = params.required('wallet_id');
  const wallet = await findUsableWallet(ctx, walletId, user.id);
  if (!wallet) throw latipayError('WALLET_NOT_ASSIGNED', `wallet_id ${walletId} is not assigned to ${user.id}`);
  if (!wallet.methods.split(',').includes(method)) {
    throw latipayError('METHOD_NOT_ENABLED', `pay_code is a ${method} code and ${method} is not enabled for ${walletId}`);
  }
  if (wallet.single_limit_minor !== null && amount.minor > Number(wallet.single_limit_minor)) {
    throw latipayError('OVER_LIMIT', `amount exceeds the wallet's single-payment limit`);
  }
  const route = await ctx.providers.route(wallet, method);
  if (!route?.provider.chargeCode) throw latipayError('PAY_COMPANY_NOT_FOUND', `no provider takes ${method} pay codes for ${walletId} on this gateway`);

  // What makes two requests the same payment: the code too (a fresh code is a new attempt).
  const requestHash = createHash('sha256')
    .update(JSON.stringify(['barcode', walletId, amount.minor, method, payCode, productName, callbackUrl]))
    .digest('hex');
  const currencyRate = await currentCnyRate(ctx, wallet.currency);

  for (let attempt = 0; attempt < 3; attempt++) {
    if (reference !== undefined) {
      const existing = await findOrderByReference(ctx.store.db, user.id, reference);
      if (existing) return repeatedPayment(ctx, existing, requestHash);
    }
    const orderNumber = await ctx.orderNumbers.next();
    const now = ctx.clock();
    // A barcode order has no payment page; its nonce is never handed out.
    const order = newPendingOrder(
      ctx,
      {
        user_id: user.id,
        wallet_id: walletId,
        organisation_id: Number(wallet.organisation_id),
        merchant_reference: reference,
        amount_minor: amount.minor,
        currency: wallet.currency,
        payment_method: method,
        product_name: productName,
        return_url: '',
        callback_url: callbackUrl,
        backpage_url: null,
        ip: '',
        host_type: '0',
        present_qr: '0',
        request_hash: requestHash,
        channel: route.provider.name,
        provider_account_id: route.accountId,
        currency_rate: currencyRate,
      },
      now,
      orderNumber,
    );
    const orderId = order.order_id;
    try {
      await insertOrder(ctx.store.db, order);
    } catch (error) {
      // A concurrent request with the same reference won the insert: answer as a repeat.
      if (!isUniqueViolation(error)) throw error;
      continue;
    }
    await chargeOrder(ctx, route, order, payCode, user);
    return { order_id: orderId };
  }
  throw latipayError('FAIL', 'could not create the order, try again');
}

async function repeatedPayment(ctx: GatewayContext, existing: OrderRecord, requestHash: string): Promise<BarcodePayment> {
  if (existing.request_hash !== requestHash) {
    throw latipayError('BAD_PARAMETER', 'merchant_reference is already used by an order with different parameters');
  }
  // The first answer was "the provider failed" (its attempt has no payment there): the same request answers the same.
  const attempt = existing.status === 'failed' ? await findLatestAttempt(ctx.store.db, existing.order_id) : undefined;
  if (attempt && attempt.status === 'failed' && attempt.provider_payment_id === null) throw providerFailed();
  return { order_id: existing.order_id };
}

function providerFailed() {
  return latipayError('FAIL', 'the payment provider could not take the payment and nothing was charged; try again with a new merchant_reference');
}

/**
 * Charges the pay code (network, after the order is committed). Its attempt is written
 * first, so a provider's notification that overtakes the charge's answer finds it. A
 * synchronous answer is settled like a notification; a pending one (the customer confirms
 * in their app, or the answer was lost) settles by the provider's notification or the
 * gateway's query.
 */
async function chargeOrder(ctx: GatewayContext, route: Route, order: OrderRecord, payCode: string, user: MerchantUser): Promise<void> {
  const { provider, accountId } = route;
  const attemptId = attemptIdOf(order.order_id, 1);
  await insertAttempt(ctx.store.db, {
    attempt_id: attemptId,
    order_id: order.order_id,
    provider: provider.name,
    account_id: accountId,
    method: order.payment_method,
    flow: 'barcode',
    status: 'pending',
    provider_payment_id: null,
    next_action: null,
    amount_minor: Number(order.amount_minor),
    currency: order.currency,
    created_at: ctx.clock(),
  });
  let report: PaymentReport;
  try {
    report = await (provider.chargeCode as NonNullable<PaymentProvider['chargeCode']>)({
      attemptId,
      orderId: order.order_id,
      method: order.payment_method as PaymentMethod,
      amountMinor: Number(order.amount_minor),
      currency: order.currency,
      subject: order.product_name,
      notifyUrl: notifyUrlOf(ctx.config.publicUrl, provider.name, accountId),
      expiresAt: Number(order.expires_at),
      payCode,
    });
  } catch (error) {
    if (error instanceof ProviderError && error.outcome === 'declined') {
      report = { attemptId, state: 'failed', occurredAt: ctx.clock() };
    } else if (error instanceof ProviderError && (error.outcome === 'not_done' || error.outcome === 'misconfigured')) {
      // Nothing was charged: the order fails at once, with its callback.
      ctx.log.warn({ orderId: order.order_id, payCode: maskPayCode(payCode), reason: error.message }, 'barcode charge failed at the provider');
      const now = ctx.clock();
      const fresh = (await findOrderById(ctx.store.db, order.order_id)) ?? order;
      const failed = await ctx.store.db.transaction().execute(async (trx) => {
        await updateAttempt(trx, attemptId, { status: 'failed' }, now);
        return failPendingOrder(trx, fresh, outgoingKey(user, now), ctx.config.timeZoneOffsetMinutes, now);
      });
      if (failed) {
        ctx.events.publish(order.order_id);
        if (order.callback_url !== '') ctx.wakeNotifier();
      }
      throw providerFailed();
    } else {
      // The outcome is unknown (no answer): the order stays pending until the provider
      // reports, the gateway's query finds out, or the order expires (after a query).
      ctx.log.warn({ err: error, orderId: order.order_id }, 'barcode charge without an answer; the order waits for the provider');
      return;
    }
  }
  if (report.raw !== undefined) await recordProviderMessage(ctx.store.db, { attempt_id: attemptId, provider: provider.name, kind: 'charge', body: report.raw }, ctx.clock());
  if (report.state === 'pending') {
    if (report.providerPaymentId) await updateAttempt(ctx.store.db, attemptId, { status: 'pending', provider_payment_id: report.providerPaymentId }, ctx.clock());
    return;
  }
  await settleReport(ctx, provider.name, `charge:${attemptId}:${report.state}`, report);
}
