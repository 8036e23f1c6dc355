import type { NextAction, PaymentContext, PaymentFlow, PaymentProvider } from '../channels/provider.js';
import { notifyUrlOf } from '../channels/provider-registry.js';
import { LatipayError } from '../domain/errors.js';
import type { PaymentMethod } from '../domain/payment-methods.js';
import { findOrderById, type OrderRecord } from '../store/orders.js';
import {
  attemptIdOf,
  attemptSeq,
  findAttempt,
  findLatestAttempt,
  insertAttempt,
  listAttemptsOfOrder,
  MAX_ATTEMPTS,
  updateAttempt,
  type AttemptRecord,
} from '../store/payment-attempts.js';
import { recordProviderMessage } from '../store/provider-messages.js';
import type { GatewayContext } from './context.js';
import { loadOrderDetails } from './order-details.js';

/**
 * The order takes no payment attempt: it is no longer pending (paid 900, else 901), or a
 * payment of it was already reported (900): an attempt is paid, which on a pending order
 * means the payment did not match it and waits for an operator (flagged for review).
 * Another attempt would let the customer pay twice.
 */
export class PaymentClosedError extends LatipayError {
  /** Pending, with a payment reported: the customer is told it is being checked. */
  readonly underReview: boolean;
  constructor(order: Pick<OrderRecord, 'order_id' | 'status'>) {
    const underReview = order.status === 'pending';
    super(
      underReview || order.status === 'paid' ? 'ALREADY_PAID' : 'ALREADY_FAILED',
      underReview ? `a payment of order ${order.order_id} was reported and is under review; it takes no other` : `order ${order.order_id} is ${order.status}`,
    );
    this.underReview = underReview;
  }
}

/** Throws PaymentClosedError unless the order can still be paid: pending, and no payment of it reported. */
function assertPayable(order: Pick<OrderRecord, 'order_id' | 'status' | 'review_reason'>, attempts: ReadonlyArray<Pick<AttemptRecord, 'status'>>): void {
  const reported = order.review_reason !== null || attempts.some((a) => a.status === 'paid');
  if (order.status !== 'pending' || reported) throw new PaymentClosedError(order);
}

/** The order's provider account: the one chosen when it was created. */
export function accountOfOrder(order: Pick<OrderRecord, 'provider_account_id' | 'channel'>): string {
  return order.provider_account_id ?? order.channel;
}

/** The flow a context asks for: a QR for a merchant's own screen; the wallet in place inside a mini program, and inside WeChat when the payer is known. */
function wantedFlow(provider: PaymentProvider, context: PaymentContext): PaymentFlow | undefined {
  if (context.purpose === 'merchant_qr') return 'qr';
  if (context.purpose === 'mini_program') return 'in_app';
  if (context.device === 'wechat' && context.payerOpenId && provider.capabilities.flows.includes('in_app')) return 'in_app';
  return undefined;
}

/**
 * The kind of customer a visit is, for a redirect: a provider's link is made for one (Antom's
 * cashier gives a PC's QR page for WEB, an app link for a phone's browser and its OS, Alipay's
 * own scheme inside Alipay), and asking again with the same attempt id gives the first answer
 * again (Antom's idempotency), so another kind of customer needs another attempt.
 */
function terminalOf(context: PaymentContext): string {
  return context.os ? `${context.device}/${context.os}` : context.device;
}

/** What next_action holds: the provider's next action, and for a redirect the terminal it was made for. */
type StoredNextAction = NextAction & { readonly terminal?: string };

function storedNextActionOf(attempt: Pick<AttemptRecord, 'next_action'>): StoredNextAction | undefined {
  return attempt.next_action === null ? undefined : (JSON.parse(attempt.next_action) as StoredNextAction);
}

/**
 * Whether an open attempt serves this visit: its flow is the one wanted; with none wanted,
 * any flow but an in-app payment when the visit is not inside a wallet's browser (a page
 * opened in WeChat, then on a PC, needs a QR there: WeixinJSBridge exists only in WeChat),
 * and a redirect only for the kind of customer it was made for (attempts recorded before
 * terminals were, without one, serve anyone as they did).
 */
function fits(attempt: Pick<AttemptRecord, 'flow' | 'next_action'>, wanted: PaymentFlow | undefined, context: PaymentContext): boolean {
  if (wanted !== undefined) return attempt.flow === wanted;
  if (attempt.flow === 'in_app') return context.device === 'wechat' || context.device === 'alipay';
  if (attempt.flow === 'redirect') {
    const made = storedNextActionOf(attempt)?.terminal;
    return made === undefined || made === terminalOf(context);
  }
  return true;
}

/** The next action recorded on an attempt. */
export function nextActionOf(attempt: Pick<AttemptRecord, 'next_action'>): NextAction | undefined {
  const stored = storedNextActionOf(attempt);
  if (!stored) return undefined;
  const { terminal: _terminal, ...action } = stored;
  return action as NextAction;
}

/**
 * Closes the order's latest attempt with its provider when it is still pending (the order
 * was cancelled or expired), so it can no longer be paid; a payment that still arrives is
 * given back. Throws when the provider could not be told.
 */
export async function closeOpenAttempt(ctx: GatewayContext, orderId: string): Promise<void> {
  const attempt = await findLatestAttempt(ctx.store.db, orderId);
  if (!attempt || attempt.status !== 'pending') return;
  const provider = await ctx.providers.byAccount(attempt.account_id);
  await provider?.closePayment({ attemptId: attempt.attempt_id, providerPaymentId: attempt.provider_payment_id });
  await updateAttempt(ctx.store.db, attempt.attempt_id, { status: 'failed' }, ctx.clock());
}

/**
 * The attempt a customer pays the order with now: its latest attempt when that is still
 * pending with the order's provider and fits the context, else a new one (the order id and
 * the next two digits) opened with the provider, outside any transaction. Two pages asking
 * at once ask the provider for the same attempt id, which providers take as the same
 * payment, and only one row is written. Throws PaymentClosedError when the order can no
 * longer be paid (checked again on its current row before a new attempt is opened).
 */
export async function openAttempt(ctx: GatewayContext, order: OrderRecord, context: PaymentContext): Promise<AttemptRecord> {
  const accountId = accountOfOrder(order);
  const provider = await ctx.providers.byAccount(accountId);
  if (!provider) throw new Error(`order ${order.order_id} names provider account ${accountId}, which this gateway does not have`);
  const found = await findLatestAttempt(ctx.store.db, order.order_id);
  assertPayable(order, found ? [found] : []);
  const flow = wantedFlow(provider, context);
  if (found && found.status === 'pending' && found.account_id === accountId && fits(found, flow, context)) return found;
  // A new way to pay: only for an order that is still pending now, none of whose attempts was paid.
  const [current, attempts] = await Promise.all([findOrderById(ctx.store.db, order.order_id), listAttemptsOfOrder(ctx.store.db, order.order_id)]);
  assertPayable(current ?? order, attempts);
  const latest = attempts.at(-1);
  const seq = latest ? attemptSeq(latest.attempt_id) + 1 : 1;
  if (seq > MAX_ATTEMPTS) throw new Error(`order ${order.order_id} has had ${MAX_ATTEMPTS} payment attempts`);
  const attemptId = attemptIdOf(order.order_id, seq);
  const details = provider.capabilities.usesOrderDetails ? await loadOrderDetails(ctx, order.order_id) : undefined;
  const created = await provider.createPayment({
    attemptId,
    orderId: order.order_id,
    method: order.payment_method as PaymentMethod,
    amountMinor: Number(order.amount_minor),
    currency: order.currency,
    subject: order.product_name,
    notifyUrl: notifyUrlOf(ctx.config.publicUrl, provider.name, accountId),
    expiresAt: Number(order.expires_at),
    context,
    ...(details !== undefined ? { details } : {}),
  });
  const now = ctx.clock();
  const inserted = await insertAttempt(ctx.store.db, {
    attempt_id: attemptId,
    order_id: order.order_id,
    provider: provider.name,
    account_id: accountId,
    method: order.payment_method,
    flow: created.flow,
    status: 'pending',
    provider_payment_id: created.providerPaymentId ?? null,
    next_action: JSON.stringify(created.flow === 'redirect' ? { ...created.nextAction, terminal: terminalOf(context) } : created.nextAction),
    amount_minor: Number(order.amount_minor),
    currency: order.currency,
    created_at: now,
  });
  if (!inserted) return (await findAttempt(ctx.store.db, attemptId)) as AttemptRecord;
  if (created.raw !== undefined) await recordProviderMessage(ctx.store.db, { attempt_id: attemptId, provider: provider.name, kind: 'create', body: created.raw }, now);
  // The way the customer was paying before is closed, so that only one can be paid (a
  // payment that still arrives on it is given back).
  if (latest && latest.status === 'pending') {
    provider.closePayment({ attemptId: latest.attempt_id, providerPaymentId: latest.provider_payment_id }).catch((error: unknown) => {
      ctx.log.warn({ err: error, attemptId: latest.attempt_id }, 'could not close a superseded payment attempt');
    });
  }
  return inserted;
}
