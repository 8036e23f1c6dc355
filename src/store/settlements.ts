import { sql, type Compilable } from 'kysely';
import { endpointOf } from '../domain/callback-endpoint.js';
import type { SettledStatus } from '../domain/settlement.js';
import type { Db } from './store.js';
import { PreparedQuery } from './prepared.js';

/** A decided settlement of a pending order, with the callback it queues (its body already signed). */
export interface OneStatementSettlement {
  orderId: string;
  attemptId: string;
  status: SettledStatus;
  paidAt: number | null;
  /** The wallet's ledger credit (the payment), 0 for none. */
  creditMinor: number;
  provider: string;
  eventId: string;
  /** The merchant's callback URL; empty: no callback. */
  url: string;
  body: string;
  userId: string;
  attemptStatus: string;
  providerPaymentId: string | null;
  payerAmountMinor: number | null;
  payerCurrency: string | null;
  payerRate: string | null;
}

// Writes what was decided, for the orders still pending whose attempt is the provider's:
// the orders are updated first (locking them) and everything else is written only for the
// rows that update returned, so a settlement is all there or not there at all. An event
// seen before breaks the events' uniqueness and fails the whole statement: nothing is kept.
const settleStatement = new PreparedQuery<{ order_id: string }>((db, slot) => {
  const now = sql`${slot(15)}::bigint`;
  const query = sql<{ order_id: string }>`
    with input as (
      select * from unnest(
        ${slot(0)}::text[], ${slot(1)}::text[], ${slot(2)}::text[], ${slot(3)}::bigint[], ${slot(4)}::bigint[], ${slot(5)}::text[],
        ${slot(6)}::text[], ${slot(7)}::text[], ${slot(8)}::text[], ${slot(9)}::text[], ${slot(10)}::text[], ${slot(11)}::text[],
        ${slot(12)}::bigint[], ${slot(13)}::text[], ${slot(14)}::text[], ${slot(16)}::text[])
        as t(order_id, attempt_id, status, paid_at, credit_minor, provider, event_id, url, body, user_id, attempt_status,
             provider_payment_id, payer_amount_minor, payer_currency, payer_rate, endpoint)
    ),
    finished as (
      update orders set status = input.status, paid_at = input.paid_at, updated_at = ${now}
      from input join payment_attempts on payment_attempts.attempt_id = input.attempt_id and payment_attempts.provider = input.provider
      where orders.order_id = input.order_id and orders.status = 'pending'
      returning orders.order_id, orders.wallet_id, orders.currency, input.attempt_id, input.status, input.credit_minor, input.provider,
        input.event_id, input.url, input.body, input.user_id, input.attempt_status, input.provider_payment_id,
        input.payer_amount_minor, input.payer_currency, input.payer_rate, input.endpoint
    ),
    attempts as (
      update payment_attempts set
        status = finished.attempt_status,
        provider_payment_id = coalesce(finished.provider_payment_id, payment_attempts.provider_payment_id),
        payer_amount_minor = coalesce(finished.payer_amount_minor, payment_attempts.payer_amount_minor),
        payer_currency = coalesce(finished.payer_currency, payment_attempts.payer_currency),
        payer_rate = coalesce(finished.payer_rate, payment_attempts.payer_rate),
        updated_at = ${now}
      from finished where payment_attempts.attempt_id = finished.attempt_id
    ),
    events as (
      insert into channel_events (channel, event_id, order_id, outcome, received_at)
      select provider, event_id, order_id, status, ${now} from finished
    ),
    callbacks as (
      insert into notifications (order_id, user_id, url, endpoint, body, status, attempts, next_attempt_at, created_at)
      select order_id, user_id, url, endpoint, body, 'pending', 0, ${now}, ${now} from finished where url <> ''
    ),
    entries as (
      insert into ledger_entries (wallet_id, order_id, refund_id, kind, amount_minor, currency, created_at)
      select wallet_id, order_id, null, 'payment', credit_minor, currency, ${now} from finished where credit_minor > 0
    )
    select order_id from finished`;
  return { compile: () => query.compile(db) } satisfies Compilable<{ order_id: string }>;
});

/**
 * PostgreSQL only: carries out many decided settlements in one statement (one round trip,
 * its own transaction). Per settlement whose order is still pending and whose attempt is
 * the provider's: the order's new status, the attempt's, the provider event, the callback
 * and the ledger credit. Answers the ids of the orders it settled; the others are left
 * exactly as they were. Each order may appear once; the statement fails, and writes
 * nothing, when an event was seen before.
 */
export async function settleInOneStatement(db: Db, settlements: readonly OneStatementSettlement[], now: number): Promise<Set<string>> {
  const column = <K extends keyof OneStatementSettlement>(key: K) => settlements.map((s) => s[key]);
  const args = [
    column('orderId'),
    column('attemptId'),
    column('status'),
    column('paidAt'),
    column('creditMinor'),
    column('provider'),
    column('eventId'),
    column('url'),
    column('body'),
    column('userId'),
    column('attemptStatus'),
    column('providerPaymentId'),
    column('payerAmountMinor'),
    column('payerCurrency'),
    column('payerRate'),
    now,
    settlements.map((s) => (s.url === '' ? '' : endpointOf(s.url))),
  ];
  return new Set((await settleStatement.rows(db, args)).map((row) => row.order_id));
}
