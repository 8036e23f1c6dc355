import { isFinal, type OrderStatus } from '../domain/order-status.js';
import { findOrganisationName } from '../store/merchants.js';
import { findOrderByNonce, setOrderChannelTrade, type OrderRecord } from '../store/orders.js';
import type { GatewayContext } from './context.js';
import { outgoingKey } from './credentials.js';
import { returnRedirectUrl } from './result-fields.js';

export type PaymentSession =
  | { kind: 'unknown' }
  | { kind: 'expired'; order: OrderRecord }
  | { kind: 'final'; order: OrderRecord; organisationName: string; redirectUrl: string | undefined }
  | { kind: 'pending'; order: OrderRecord; organisationName: string; qrUrl: string };

/**
 * What the hosted page shows for a nonce. A pending order gets its provider trade (and QR
 * URL) when the page first asks for it, outside any transaction; a final order answers its
 * signed return_url redirect.
 */
export async function loadPaymentSession(ctx: GatewayContext, nonce: string): Promise<PaymentSession> {
  if (!/^[0-9a-f]{64}$/.test(nonce)) return { kind: 'unknown' };
  let order = await findOrderByNonce(ctx.store.db, nonce);
  if (!order) return { kind: 'unknown' };
  if (Number(order.expires_at) <= ctx.clock()) return { kind: 'expired', order };
  const organisationName = (await findOrganisationName(ctx.store.db, Number(order.organisation_id))) ?? '';
  if (isFinal(order.status as OrderStatus)) {
    const user = await ctx.credentials.findUser(order.user_id);
    return { kind: 'final', order, organisationName, redirectUrl: user ? returnRedirectUrl(order, outgoingKey(user, ctx.clock())) : undefined };
  }
  if (!order.channel_qr_url) order = await startChannelPayment(ctx, order);
  return { kind: 'pending', order, organisationName, qrUrl: order.channel_qr_url ?? '' };
}

/** Opens the order's trade with its provider (idempotent per order) and records it. */
export async function startChannelPayment(ctx: GatewayContext, order: OrderRecord): Promise<OrderRecord> {
  if (order.channel_qr_url && order.channel_trade_id) return order;
  const channel = ctx.channels.byName(order.channel);
  if (!channel) throw new Error(`order ${order.order_id} names unknown channel ${order.channel}`);
  const payment = await channel.startPayment({
    orderId: order.order_id,
    method: order.payment_method as never,
    amountMinor: Number(order.amount_minor),
    currency: order.currency,
    subject: order.product_name,
  });
  await setOrderChannelTrade(ctx.store.db, order.order_id, payment.tradeId, payment.qrUrl, ctx.clock());
  return { ...order, channel_trade_id: payment.tradeId, channel_qr_url: payment.qrUrl };
}
