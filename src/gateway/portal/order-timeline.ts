import { listChannelEventsOfOrder } from '../../store/channel-events.js';
import { listAttempts, listNotificationsForOrder } from '../../store/notifications.js';
import { findOrderById, type OrderRecord } from '../../store/orders.js';
import { listAttemptsOfOrder } from '../../store/payment-attempts.js';
import { listProviderMessagesOfAttempt } from '../../store/provider-messages.js';
import { listRefundsForOrder, OPEN_REFUND_STATUSES } from '../../store/refunds.js';
import type { GatewayContext } from '../context.js';

/** One thing that happened to an order, at `at` (epoch ms). */
export type TimelineEntry =
  | { readonly at: number; readonly kind: 'created' }
  | { readonly at: number; readonly kind: 'attempt'; readonly attemptId: string; readonly provider: string; readonly flow: string; readonly status: string }
  | { readonly at: number; readonly kind: 'provider_event'; readonly channel: string; readonly eventId: string; readonly outcome: string }
  | { readonly at: number; readonly kind: 'provider_message'; readonly provider: string; readonly messageKind: string; readonly excerpt: string }
  | { readonly at: number; readonly kind: 'status'; readonly status: string }
  | {
      readonly at: number;
      readonly kind: 'refund';
      readonly refundId: string;
      readonly refundKind: string;
      readonly amountMinor: number;
      readonly currency: string;
      readonly reference: string;
      /** `requested` for its creation; its later status (succeeded, failed…) as a second entry. */
      readonly step: string;
      readonly failure: string | null;
    }
  | { readonly at: number; readonly kind: 'callback_queued'; readonly callbackId: number; readonly url: string }
  | {
      readonly at: number;
      readonly kind: 'callback_attempt';
      readonly callbackId: number;
      readonly httpStatus: number | null;
      readonly bodyExcerpt: string | null;
      readonly durationMs: number;
      readonly error: string | null;
    };

export interface OrderTimeline {
  readonly order: OrderRecord;
  /** Oldest first. */
  readonly entries: readonly TimelineEntry[];
  readonly refunds: {
    /** Given back or being given back (refunds pending, processing or succeeded). */
    readonly refundedMinor: number;
    /** What a refund may still be for: the paid amount less the above; 0 unless the order is paid. */
    readonly remainingMinor: number;
    /** False when the provider that took the payment refunds whole payments only. */
    readonly partial: boolean;
  };
  readonly callbacks: { readonly count: number; readonly states: readonly string[] };
  readonly cancellable: boolean;
}

/** Characters of a provider message a timeline shows (the whole is in the database). */
const MESSAGE_EXCERPT = 300;

/**
 * The organisation's order `orderId`, or undefined: another organisation's order is
 * answered like a missing one, so the portal never tells one merchant what another has.
 */
export async function findOrganisationOrder(ctx: GatewayContext, organisationId: number, orderId: string): Promise<OrderRecord | undefined> {
  if (orderId.length > 64) return undefined;
  const order = await findOrderById(ctx.store.db, orderId);
  return order && Number(order.organisation_id) === organisationId ? order : undefined;
}

/**
 * Everything that happened to an order, oldest first: its creation, its payment attempts
 * and what their providers said (events and messages), its final status, its refunds, and
 * every callback with each delivery attempt (HTTP status, body excerpt, duration).
 */
export async function describeOrderTimeline(ctx: GatewayContext, order: OrderRecord): Promise<OrderTimeline> {
  const db = ctx.store.db;
  const [attempts, events, refunds, notifications] = await Promise.all([
    listAttemptsOfOrder(db, order.order_id),
    listChannelEventsOfOrder(db, order.order_id),
    listRefundsForOrder(db, order.order_id),
    listNotificationsForOrder(db, order.order_id),
  ]);
  const [messages, deliveries] = await Promise.all([
    Promise.all(attempts.map((a) => listProviderMessagesOfAttempt(db, a.attempt_id))),
    Promise.all(notifications.map((n) => listAttempts(db, Number(n.id)))),
  ]);

  const entries: TimelineEntry[] = [{ at: Number(order.created_at), kind: 'created' }];
  for (const a of attempts) {
    entries.push({ at: Number(a.created_at), kind: 'attempt', attemptId: a.attempt_id, provider: a.provider, flow: a.flow, status: a.status });
  }
  for (const e of events) entries.push({ at: Number(e.received_at), kind: 'provider_event', channel: e.channel, eventId: e.event_id, outcome: e.outcome });
  for (const m of messages.flat()) {
    entries.push({ at: Number(m.at), kind: 'provider_message', provider: m.provider, messageKind: m.kind, excerpt: m.body.slice(0, MESSAGE_EXCERPT) });
  }
  if (order.status !== 'pending') {
    // When the order changed: its callback was queued in the same transaction (paid_at is when
    // the provider says the payer paid, which may be earlier than the gateway heard of it).
    const changedAt = notifications[0]?.created_at ?? order.updated_at;
    entries.push({ at: Number(changedAt), kind: 'status', status: order.status });
  }
  for (const r of refunds) {
    const refund = { kind: 'refund' as const, refundId: r.refund_id, refundKind: r.kind, amountMinor: Number(r.amount_minor), currency: r.currency, reference: r.reference, failure: r.failure };
    entries.push({ ...refund, at: Number(r.created_at), step: 'requested' });
    if (r.status !== 'pending') entries.push({ ...refund, at: Number(r.updated_at), step: r.status });
  }
  notifications.forEach((n, i) => {
    entries.push({ at: Number(n.created_at), kind: 'callback_queued', callbackId: Number(n.id), url: n.url });
    for (const d of deliveries[i] ?? []) {
      entries.push({
        at: Number(d.attempted_at),
        kind: 'callback_attempt',
        callbackId: Number(n.id),
        httpStatus: d.http_status === null ? null : Number(d.http_status),
        bodyExcerpt: d.body_excerpt,
        durationMs: Number(d.duration_ms),
        error: d.error,
      });
    }
  });
  // Stable: what happened in the same millisecond keeps the order above (creation before its attempt…).
  entries.sort((a, b) => a.at - b.at);

  const refundedMinor = refunds.filter((r) => (OPEN_REFUND_STATUSES as readonly string[]).includes(r.status)).reduce((sum, r) => sum + Number(r.amount_minor), 0);
  const paid = attempts.find((a) => a.status === 'paid');
  const provider = paid ? await ctx.providers.byAccount(paid.account_id) : undefined;
  return {
    order,
    entries,
    refunds: {
      refundedMinor,
      remainingMinor: order.status === 'paid' ? Math.max(0, Number(order.amount_minor) - refundedMinor) : 0,
      partial: provider ? provider.capabilities.partialRefunds : true,
    },
    callbacks: { count: notifications.length, states: notifications.map((n) => n.status) },
    cancellable: order.status === 'pending',
  };
}
