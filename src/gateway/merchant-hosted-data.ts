import QRCode from 'qrcode';
import { latipayError } from '../domain/errors.js';
import { formatAmount } from '../domain/money.js';
import { signObject } from '../domain/signature.js';
import { findOrganisationName, findWallet } from '../store/merchants.js';
import { findOrderByNonce } from '../store/orders.js';
import { attemptSeq, findLatestAttempt, listAttemptsOfOrder } from '../store/payment-attempts.js';
import type { GatewayContext } from './context.js';
import { outgoingKey } from './credentials.js';
import { nextActionOf, openAttempt } from './start-payment.js';

/** The `data` object of `GET /v2/merchanthosted/gatewaydata/{nonce}` (spec §4.3). */
export interface GatewayData {
  order_id: string;
  nonce: string;
  payment_method: string;
  amount: string;
  amount_cny: string;
  currency: string;
  product_name: string;
  organisation_id: number;
  organisation_name: string;
  user_id: string;
  user_name: string;
  wallet_id: string;
  wallet_name: string;
  qr_code: string;
  qr_code_url: string;
  currency_rate: string;
  merchant_reference: string;
  signature: string;
}

/**
 * What a merchant's own cash register or kiosk shows for an order created with
 * `host_type=1`: the provider's QR (as a PNG data URL and as its URL) and the order's
 * details, signed with the sorted signature (§2.1) over every field but `signature`.
 *
 * The nonce of such an order only ever travels between the gateway and the merchant's
 * server, so it is the credential here. Refused: an unknown nonce (201), the nonce of a
 * hosted-page order (207: its nonce was handed to a browser), a paid order (900), and a
 * failed, cancelled, rejected or expired one (901): the cash register then starts a new order.
 * `amount_cny` and `currency_rate` are the ones recorded when the order was created, so a
 * later rate change never alters them, until a provider reports what the payer was charged
 * in CNY (Antom's customsDeclarationAmount and quote): then they are the provider's. An order
 * whose payment did not match it (flagged for review, still pending) shows the attempt that
 * was paid, never a new QR: the customer must not pay twice.
 */
export async function loadGatewayData(ctx: GatewayContext, nonce: string): Promise<GatewayData> {
  const order = /^[0-9a-f]{64}$/.test(nonce) ? await findOrderByNonce(ctx.store.db, nonce) : undefined;
  if (!order) throw latipayError('ORDER_NOT_FOUND', 'no order has this nonce');
  if (order.host_type !== '1') {
    throw latipayError('BAD_PARAMETER', 'this nonce belongs to an order created without host_type=1: send the customer to host_url/nonce');
  }
  if (order.status === 'paid') throw latipayError('ALREADY_PAID', `order ${order.order_id} is already paid`);
  if (order.status !== 'pending') throw latipayError('ALREADY_FAILED', `order ${order.order_id} is ${order.status}`);
  if (Number(order.expires_at) <= ctx.clock()) throw latipayError('ALREADY_FAILED', `order ${order.order_id} has expired`);

  const user = await ctx.credentials.findUser(order.user_id);
  if (!user || !user.active) throw latipayError('UNKNOWN_USER', `user_id ${order.user_id} is unknown or disabled`);
  const [wallet, organisationName] = await Promise.all([
    findWallet(ctx.store.db, order.wallet_id),
    findOrganisationName(ctx.store.db, Number(order.organisation_id)),
  ]);
  const flagged = order.review_reason !== null ? await findLatestAttempt(ctx.store.db, order.order_id) : undefined;
  const attempt = flagged ?? (await openAttempt(ctx, order, { device: 'pc', purpose: 'merchant_qr', returnUrl: order.return_url }));
  const action = nextActionOf(attempt);
  const qrCodeUrl = action?.type === 'show_qr' ? action.qrContent : '';
  // A new first attempt has reported nothing yet: only a later one's predecessors, or the flagged one itself, can have.
  const earlier = attemptSeq(attempt.attempt_id) > 1 || flagged ? await listAttemptsOfOrder(ctx.store.db, order.order_id) : [];
  const reported = earlier.filter((a) => a.payer_currency === 'CNY' && a.payer_amount_minor !== null).at(-1);
  const fields: Omit<GatewayData, 'signature'> = {
    order_id: order.order_id,
    nonce: order.nonce,
    payment_method: order.payment_method,
    amount: formatAmount(Number(order.amount_minor)),
    // Empty when the wallet's currency had no CNY rate at creation (left out of the signature, §2.1).
    amount_cny: reported ? formatAmount(Number(reported.payer_amount_minor)) : order.amount_cny_minor === null ? '' : formatAmount(Number(order.amount_cny_minor)),
    currency: order.currency,
    product_name: order.product_name,
    organisation_id: Number(order.organisation_id),
    organisation_name: organisationName ?? '',
    user_id: user.id,
    user_name: user.name,
    wallet_id: order.wallet_id,
    wallet_name: wallet?.name ?? '',
    qr_code: await QRCode.toDataURL(qrCodeUrl, { errorCorrectionLevel: 'M', margin: 2, scale: 6 }),
    qr_code_url: qrCodeUrl,
    currency_rate: (reported ? reported.payer_rate : null) ?? order.currency_rate ?? '',
    merchant_reference: order.merchant_reference,
  };
  return { ...fields, signature: signObject(fields, outgoingKey(user, ctx.clock())) };
}
