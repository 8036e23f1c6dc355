import type { NextAction, PaymentContext } from '../channels/provider.js';
import { isFinal, type OrderStatus } from '../domain/order-status.js';
import { findOrganisationName } from '../store/merchants.js';
import { findOrderByNonce, type OrderRecord } from '../store/orders.js';
import type { AttemptRecord } from '../store/payment-attempts.js';
import type { GatewayContext } from './context.js';
import { outgoingKey } from './credentials.js';
import { returnRedirectUrl } from './result-fields.js';
import { nextActionOf, openAttempt } from './start-payment.js';

export type PaymentSession =
  | { kind: 'unknown' }
  | { kind: 'expired'; order: OrderRecord }
  | { kind: 'final'; order: OrderRecord; organisationName: string; redirectUrl: string | undefined }
  | {
      kind: 'pending';
      order: OrderRecord;
      organisationName: string;
      attempt: AttemptRecord;
      nextAction: NextAction | undefined;
      /** The QR's content, when the next action is a QR ('' otherwise). */
      qrUrl: string;
    };

/**
 * What the hosted page shows for a nonce. A pending order gets a payment attempt with its
 * provider (and so what the customer does next: a QR on a PC, the wallet in its own app…)
 * when the page asks, outside any transaction; a final order answers its signed return_url
 * redirect.
 */
export async function loadPaymentSession(
  ctx: GatewayContext,
  nonce: string,
  context: Pick<PaymentContext, 'device'> & Partial<PaymentContext> = { device: 'pc' },
): Promise<PaymentSession> {
  if (!/^[0-9a-f]{64}$/.test(nonce)) return { kind: 'unknown' };
  const order = await findOrderByNonce(ctx.store.db, nonce);
  if (!order) return { kind: 'unknown' };
  if (Number(order.expires_at) <= ctx.clock()) return { kind: 'expired', order };
  const organisationName = (await findOrganisationName(ctx.store.db, Number(order.organisation_id))) ?? '';
  if (isFinal(order.status as OrderStatus)) {
    const user = await ctx.credentials.findUser(order.user_id);
    return { kind: 'final', order, organisationName, redirectUrl: user ? returnRedirectUrl(order, outgoingKey(user, ctx.clock())) : undefined };
  }
  const attempt = await openAttempt(ctx, order, {
    purpose: 'payment_page',
    returnUrl: `${ctx.config.publicUrl}/pay/${nonce}`,
    ...context,
  });
  const nextAction = nextActionOf(attempt);
  return { kind: 'pending', order, organisationName, attempt, nextAction, qrUrl: nextAction?.type === 'show_qr' ? nextAction.qrContent : '' };
}
