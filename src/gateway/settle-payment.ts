import type { PaymentReport, ProviderEvent } from '../channels/provider.js';
import type { OrderStatus } from '../domain/order-status.js';
import { decideSettlement, type Settlement, type SettlementOrder } from '../domain/settlement.js';
import { recordChannelEvent } from '../store/channel-events.js';
import { appendLedgerEntry } from '../store/ledger.js';
import { findOrderById, findOrderForUpdate, flagOrderForReview, type OrderRecord } from '../store/orders.js';
import {
  attemptIdOf,
  attemptSeq,
  findAttempt,
  insertAttempt,
  listAttemptsOfOrder,
  MAX_ATTEMPTS,
  orderIdOfAttempt,
  updateAttempt,
  updateProvidersAttempt,
  type AttemptRecord,
} from '../store/payment-attempts.js';
import { findRefund, type RefundRecord } from '../store/refunds.js';
import { recordProviderMessage } from '../store/provider-messages.js';
import { settleInOneStatement, type OneStatementSettlement } from '../store/settlements.js';
import { batcherPer } from '../store/turn-batcher.js';
import type { Db } from '../store/store.js';
import type { GatewayContext } from './context.js';
import { outgoingKey, type MerchantUser } from './credentials.js';
import { callbackOf, finishOrderWithCallback } from './finish-pending-order.js';
import { recordRefundReport } from './execute-refund.js';
import { recordLatePaymentReversal, settleReversal } from './reverse-late-payment.js';
import { accountOfOrder } from './start-payment.js';

export type SettleResult = 'applied' | 'duplicate' | 'unchanged' | 'reversed' | 'flagged' | 'unknown-attempt';

/**
 * Takes a provider's verified events in: payments settle orders (see settleReport),
 * refunds end refunds. An event seen before changes nothing.
 */
export async function takeProviderEvents(ctx: GatewayContext, providerName: string, events: readonly ProviderEvent[]): Promise<SettleResult[]> {
  const results: SettleResult[] = [];
  for (const event of events) {
    // What the provider said, kept with the attempt for the audit trail (secrets masked by the adapter).
    if (event.report.raw !== undefined) {
      const attemptId = event.kind === 'payment' ? event.report.attemptId : await attemptIdOfRefund(ctx, event.report.refundId);
      if (attemptId) {
        await recordProviderMessage(
          ctx.store.db,
          { attempt_id: attemptId, refund_id: event.kind === 'refund' ? event.report.refundId : null, provider: providerName, kind: 'notification', body: event.report.raw },
          ctx.clock(),
        );
      }
    }
    if (event.kind === 'payment') results.push(await settleReport(ctx, providerName, event.eventId, event.report));
    else results.push((await recordRefundReport(ctx, event.report)) ? 'applied' : 'unchanged');
  }
  return results;
}

async function attemptIdOfRefund(ctx: GatewayContext, refundId: string): Promise<string | undefined> {
  return (await findRefund(ctx.store.db, refundId))?.attempt_id ?? undefined;
}

/**
 * What a provider reported about one attempt, taken into its order. The rule is
 * decideSettlement's; here it is carried out: the order's change, the provider's event, the
 * attempt's status, the callback (the outbox row) and the ledger credit commit in one
 * transaction, so a crash between them loses nothing, and an event seen before (by its id)
 * changes nothing. Waiters and the delivery worker are told after the commit.
 *
 * On PostgreSQL the reports of one event-loop turn that simply finish a pending order share
 * one statement (see settleTurn); every other case takes the general path.
 */
export async function settleReport(ctx: GatewayContext, providerName: string, eventId: string, report: PaymentReport): Promise<SettleResult> {
  if (report.state === 'pending') return 'unchanged';
  if (!ctx.store.sharesRoundTrips) return settleOne(ctx, providerName, eventId, report);
  const settled = await turnBatcher(ctx).add({ providerName, eventId, report });
  if ('error' in settled) throw settled.error;
  return settled.result;
}

/** The order as decideSettlement sees it, from its attempts (read once, oldest first). */
function settlementView(order: OrderRecord, attempts: readonly AttemptRecord[], attempt: AttemptRecord): SettlementOrder & { latest: boolean } {
  const latest = attempts.at(-1);
  const paidAttemptId = order.status === 'paid' ? (attempts.find((a) => a.status === 'paid')?.attempt_id ?? null) : null;
  return {
    status: order.status as OrderStatus,
    amountMinor: Number(order.amount_minor),
    currency: order.currency,
    paidAttemptId,
    latest: latest === undefined || attemptSeq(latest.attempt_id) <= attemptSeq(attempt.attempt_id),
  };
}

/**
 * A failed or closed report of an attempt the order has moved on from (the customer opened
 * another way to pay) leaves the order alone; any other report is decided by the rule.
 */
function decide(view: SettlementOrder & { latest: boolean }, report: PaymentReport): Settlement {
  if (report.state !== 'paid' && !view.latest) return { action: 'none', reason: 'an earlier attempt of a pending order ended' };
  return decideSettlement(view, report);
}

/** The attempt's row after the report: the provider's status, its id, and what the payer paid. */
function attemptUpdateOf(report: PaymentReport) {
  return {
    status: report.state === 'paid' ? 'paid' : report.state === 'pending' ? 'pending' : 'failed',
    provider_payment_id: report.providerPaymentId ?? null,
    payer_amount_minor: report.payerAmountMinor ?? null,
    payer_currency: report.payerCurrency ?? null,
    payer_rate: report.payerRate ?? null,
  };
}

/** One report in its own transaction: the general path, which handles every case. */
async function settleOne(ctx: GatewayContext, providerName: string, eventId: string, report: PaymentReport): Promise<SettleResult> {
  const now = ctx.clock();
  const orderId = orderIdOfAttempt(report.attemptId);
  let reversal: RefundRecord | undefined;
  // The callback is signed with the order's user's api key. The transaction takes the user
  // from the cache; on a miss it stops before writing anything, the user is read outside it
  // (a transaction that waits for a second pool connection can deadlock a full pool), and
  // it runs again.
  let user: MerchantUser | undefined;
  let result: SettleResult | { needsUser: string };
  for (;;) {
    result = await ctx.store.db.transaction().execute(async (trx): Promise<SettleResult | { needsUser: string }> => {
      const order = await findOrderForUpdate(trx, orderId);
      if (!order) return 'unknown-attempt';
      const signer = user ?? ctx.credentials.cachedUser(order.user_id);
      if (!signer) return { needsUser: order.user_id };
      const found = await takeAttemptReport(trx, ctx, order, providerName, report, now);
      if (!found) return 'unknown-attempt';
      if (!(await recordChannelEvent(trx, { channel: providerName, event_id: eventId, order_id: order.order_id, outcome: report.state }, now))) {
        return 'duplicate';
      }
      const decision = decide(found.view, report);
      switch (decision.action) {
        case 'finish': {
          const change = { status: decision.status, paidAt: decision.paidAt, rejection: decision.status === 'rejected' ? report.rejection : undefined };
          if (!(await finishOrderWithCallback(trx, order, change, outgoingKey(signer, now), ctx.config.timeZoneOffsetMinutes, now))) return 'unchanged';
          if (decision.creditMinor > 0) {
            await appendLedgerEntry(trx, {
              wallet_id: order.wallet_id,
              order_id: order.order_id,
              refund_id: null,
              kind: 'payment',
              amount_minor: decision.creditMinor,
              currency: order.currency,
              created_at: now,
            });
          }
          return 'applied';
        }
        case 'flag':
          await flagOrderForReview(trx, order.order_id, decision.reason, now);
          ctx.log.warn({ orderId: order.order_id, attemptId: report.attemptId, reason: decision.reason }, 'payment does not match its order; flagged for review');
          return 'flagged';
        case 'reverse':
          reversal = await recordLatePaymentReversal(trx, ctx, order, report.attemptId, decision.amountMinor, now);
          return 'reversed';
        case 'none':
          return 'unchanged';
      }
    });
    // The second run has the user, so it always ends here.
    if (typeof result === 'string') break;
    user = await ctx.credentials.findUser(result.needsUser);
    if (!user) throw new Error(`order ${orderId} has no user`);
  }
  if (result === 'flagged') ctx.observer.paymentFlagged();
  if (result === 'unknown-attempt') ctx.log.warn({ provider: providerName, attemptId: report.attemptId }, 'a provider reported an attempt this gateway does not know');
  if (reversal) await settleReversal(ctx, reversal);
  if (result === 'applied') {
    ctx.events.publish(orderId);
    ctx.wakeNotifier();
  }
  return result;
}

/**
 * Writes the provider's report onto its attempt and answers the order as decideSettlement
 * needs to see it, or undefined when the attempt is not this provider's. The common case,
 * a payment of a pending order, needs only the attempt: one statement updates it and
 * answers it. Every other case weighs the order's other attempts (is this the latest? which
 * one paid?), read before the update.
 */
async function takeAttemptReport(
  trx: Db,
  ctx: GatewayContext,
  order: OrderRecord,
  providerName: string,
  report: PaymentReport,
  now: number,
): Promise<{ view: SettlementOrder & { latest: boolean } } | undefined> {
  const update = attemptUpdateOf(report);
  if (report.state === 'paid' && order.status === 'pending') {
    let attempt = await updateProvidersAttempt(trx, report.attemptId, providerName, update, now);
    if (!attempt && !(await findAttempt(trx, report.attemptId))) {
      attempt = await recoverAttempt(trx, ctx, order, providerName, report, now);
      if (attempt) await updateAttempt(trx, attempt.attempt_id, update, now);
    }
    return attempt && { view: settlementView(order, [attempt], attempt) };
  }
  const attempts = await listAttemptsOfOrder(trx, order.order_id);
  let attempt = attempts.find((a) => a.attempt_id === report.attemptId);
  if (!attempt) {
    attempt = await recoverAttempt(trx, ctx, order, providerName, report, now);
    if (attempt) attempts.push(attempt);
    attempts.sort(byAttemptId);
  }
  if (!attempt || attempt.provider !== providerName) return undefined;
  const view = settlementView(order, attempts, attempt);
  await updateAttempt(trx, attempt.attempt_id, update, now);
  return { view };
}

const byAttemptId = (a: AttemptRecord, b: AttemptRecord) => (a.attempt_id < b.attempt_id ? -1 : a.attempt_id > b.attempt_id ? 1 : 0);

/**
 * A verified report of an attempt this gateway has no row for: its order's provider opened
 * it, and the gateway stopped before writing it down (the row is written after the provider
 * answers). The attempt's id names its order, so when that order is served by the reporting
 * provider the row is written now, from the report, and the payment is taken like any other
 * instead of being lost.
 */
async function recoverAttempt(
  trx: Db,
  ctx: GatewayContext,
  order: OrderRecord,
  providerName: string,
  report: PaymentReport,
  now: number,
): Promise<AttemptRecord | undefined> {
  const accountId = accountOfOrder(order);
  if ((await ctx.providers.byAccount(accountId))?.name !== providerName) return undefined;
  const seq = attemptSeq(report.attemptId);
  if (!Number.isInteger(seq) || seq < 1 || seq > MAX_ATTEMPTS || attemptIdOf(order.order_id, seq) !== report.attemptId) return undefined;
  const recovered = await insertAttempt(trx, {
    attempt_id: report.attemptId,
    order_id: order.order_id,
    provider: providerName,
    account_id: accountId,
    method: order.payment_method,
    flow: 'unknown',
    status: 'pending',
    provider_payment_id: report.providerPaymentId ?? null,
    next_action: null,
    amount_minor: Number(order.amount_minor),
    currency: order.currency,
    created_at: now,
  });
  if (recovered) ctx.log.warn({ orderId: order.order_id, attemptId: report.attemptId, provider: providerName }, 'a provider reported an attempt whose row was never written; recorded it from the report');
  return recovered;
}

interface TurnItem {
  providerName: string;
  eventId: string;
  report: PaymentReport;
}
type TurnAnswer = { result: SettleResult } | { error: unknown };

const turnBatcher = batcherPer((ctx: GatewayContext, items: TurnItem[]) => settleTurn(ctx, items));

/**
 * PostgreSQL: the reports that arrive in one turn of the event loop and simply finish a
 * pending order are carried out together, in one statement (settleInOneStatement), with
 * their callbacks signed beforehand. The decision is the same rule's, made here from an
 * unlocked read; the statement writes it only where the order is still pending and the
 * attempt is the provider's. The rest (a repeat, a flag, a reversal, a final order) goes
 * through settleOne afterwards; if the statement fails (an event seen before), none of it
 * is kept and every report goes through settleOne.
 */
async function settleTurn(ctx: GatewayContext, items: TurnItem[]): Promise<TurnAnswer[]> {
  const answers = new Array<TurnAnswer | undefined>(items.length);
  let settled: string[] = [];
  try {
    settled = await settleBatch(ctx, items, answers);
  } catch (error) {
    ctx.log.warn({ err: error, reports: items.length }, 'batched settlement failed; settling its reports one by one');
    answers.fill(undefined);
    settled = [];
  }
  for (const orderId of settled) ctx.events.publish(orderId);
  if (settled.length > 0) ctx.wakeNotifier();
  // One by one, in the order they came: of two reports that conflict, the first wins.
  for (const [i, { providerName, eventId, report }] of items.entries()) {
    if (answers[i]) continue;
    try {
      answers[i] = { result: await settleOne(ctx, providerName, eventId, report) };
    } catch (error) {
      answers[i] = { error };
    }
  }
  return answers as TurnAnswer[];
}

/** Fills `answers` for the reports it settles; the ids of the orders it settled. */
async function settleBatch(ctx: GatewayContext, items: TurnItem[], answers: Array<TurnAnswer | undefined>): Promise<string[]> {
  const db = ctx.store.db;
  const orders = await Promise.all(items.map((item) => findOrderById(db, orderIdOfAttempt(item.report.attemptId))));
  const userIds = [...new Set(orders.flatMap((order) => (order ? [order.user_id] : [])))];
  const users = new Map(await Promise.all(userIds.map(async (id) => [id, await ctx.credentials.findUser(id)] as const)));
  const now = ctx.clock();
  const taken = new Set<string>();
  const batch: Array<{ i: number; settlement: OneStatementSettlement }> = [];
  for (const [i, { providerName, eventId, report }] of items.entries()) {
    const order = orders[i];
    const signer = order ? users.get(order.user_id) : undefined;
    // Only the plain case: a pending order, its only attempt (no earlier one to weigh), a first
    // report. A PayID order's callback reads its attempt (payIdCallbackFields): the general path.
    if (!order || !signer || order.status !== 'pending' || taken.has(order.order_id) || attemptSeq(report.attemptId) !== 1) continue;
    if (order.payment_method === 'payid') continue;
    const decision = decideSettlement({ status: 'pending', amountMinor: Number(order.amount_minor), currency: order.currency, paidAttemptId: null }, report);
    if (decision.action !== 'finish') continue;
    taken.add(order.order_id);
    const change = { status: decision.status, paidAt: decision.paidAt };
    const callback = callbackOf(order, change, outgoingKey(signer, now), ctx.config.timeZoneOffsetMinutes, now);
    const attempt = attemptUpdateOf(report);
    batch.push({
      i,
      settlement: {
        orderId: order.order_id,
        attemptId: report.attemptId,
        ...change,
        creditMinor: decision.creditMinor,
        provider: providerName,
        eventId,
        url: callback?.url ?? '',
        body: callback?.body ?? '',
        userId: order.user_id,
        attemptStatus: attempt.status,
        providerPaymentId: attempt.provider_payment_id,
        payerAmountMinor: attempt.payer_amount_minor,
        payerCurrency: attempt.payer_currency,
        payerRate: attempt.payer_rate,
      },
    });
  }
  if (batch.length === 0) return [];
  const settled = await settleInOneStatement(db, batch.map((b) => b.settlement), now);
  for (const { i, settlement } of batch) if (settled.has(settlement.orderId)) answers[i] = { result: 'applied' };
  return [...settled];
}
