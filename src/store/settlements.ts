import { sql, type Compilable } from 'kysely';
import type { Db } from './store.js';
import { PreparedQuery } from './prepared.js';

/** A provider's outcome for a pending order, with the callback it queues (its body already signed). */
export interface PendingSettlement {
  orderId: string;
  status: 'paid' | 'failed';
  paidAt: number | null;
  channel: string;
  eventId: string;
  /** The merchant's callback URL; empty: no callback. */
  url: string;
  body: string;
}

// The orders are updated first (locking them) and everything else is written only for the
// rows that update returned, so a settlement is all there or not there at all. An event
// seen before breaks the events' uniqueness and fails the whole statement: nothing is kept.
const settleStatement = new PreparedQuery<{ order_id: string }>((db, slot) => {
  const now = sql`${slot(7)}::bigint`;
  const query = sql<{ order_id: string }>`
    with input as (
      select * from unnest(${slot(0)}::text[], ${slot(1)}::text[], ${slot(2)}::bigint[], ${slot(3)}::text[], ${slot(4)}::text[], ${slot(5)}::text[], ${slot(6)}::text[])
        as t(order_id, status, paid_at, channel, event_id, url, body)
    ),
    finished as (
      update orders set status = input.status, paid_at = input.paid_at, updated_at = ${now}
      from input
      where orders.order_id = input.order_id and orders.status = 'pending'
      returning orders.order_id, orders.user_id, orders.wallet_id, orders.amount_minor, orders.currency, input.status, input.channel, input.event_id, input.url, input.body
    ),
    events as (
      insert into channel_events (channel, event_id, order_id, outcome, received_at)
      select channel, event_id, order_id, status, ${now} from finished
    ),
    callbacks as (
      insert into notifications (order_id, user_id, url, body, status, attempts, next_attempt_at, created_at)
      select order_id, user_id, url, body, 'pending', 0, ${now}, ${now} from finished where url <> ''
    ),
    entries as (
      insert into ledger_entries (wallet_id, order_id, refund_id, kind, amount_minor, currency, created_at)
      select wallet_id, order_id, null, 'payment', amount_minor, currency, ${now} from finished where status = 'paid'
    )
    select order_id from finished`;
  return { compile: () => query.compile(db) } satisfies Compilable<{ order_id: string }>;
});

/**
 * PostgreSQL only: settles many pending orders in one statement (one round trip, its own
 * transaction). Per settlement whose order is still pending: the order's new status, the
 * provider event, the callback and, for a payment, the ledger entry. Answers the ids of
 * the orders it settled; the others are left exactly as they were. Each order may appear
 * once; the statement fails, and writes nothing, when an event was seen before.
 */
export async function settlePendingOrders(db: Db, settlements: readonly PendingSettlement[], now: number): Promise<Set<string>> {
  const column = <K extends keyof PendingSettlement>(key: K) => settlements.map((s) => s[key]);
  const args = [column('orderId'), column('status'), column('paidAt'), column('channel'), column('eventId'), column('url'), column('body'), now];
  return new Set((await settleStatement.rows(db, args)).map((row) => row.order_id));
}
