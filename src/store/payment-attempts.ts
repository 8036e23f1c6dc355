import { sql, type Selectable } from 'kysely';
import type { PaymentAttemptTable } from './schema.js';
import type { Db } from './store.js';
import { PreparedQuery } from './prepared.js';
import { batcherPerDatabase, sharesRoundTrips } from './turn-batcher.js';

export type AttemptRecord = Selectable<PaymentAttemptTable>;

/** The attempt ids of an order are its id and two digits: `…01` to `…99`. */
export const MAX_ATTEMPTS = 99;

export function attemptIdOf(orderId: string, seq: number): string {
  return orderId + String(seq).padStart(2, '0');
}

/** The order an attempt belongs to (its id without the two digits). */
export function orderIdOfAttempt(attemptId: string): string {
  return attemptId.slice(0, -2);
}

export function attemptSeq(attemptId: string): number {
  return Number(attemptId.slice(-2));
}

const insertStatement = new PreparedQuery((db, slot) =>
  db
    .insertInto('payment_attempts')
    .values({
      attempt_id: slot(0),
      order_id: slot(1),
      provider: slot(2),
      account_id: slot(3),
      method: slot(4),
      flow: slot(5),
      status: slot(6),
      provider_payment_id: slot(7),
      next_action: slot(8),
      amount_minor: slot(9),
      currency: slot(10),
      payer_amount_minor: null,
      payer_currency: null,
      payer_rate: null,
      created_at: slot(11),
      updated_at: slot(11),
    })
    .onConflict((oc) => oc.column('attempt_id').doNothing())
    .returningAll(),
);

export type NewAttempt = Pick<
  AttemptRecord,
  'attempt_id' | 'order_id' | 'provider' | 'account_id' | 'method' | 'flow' | 'status' | 'provider_payment_id' | 'next_action' | 'amount_minor' | 'currency' | 'created_at'
>;

const NEW_ATTEMPT_COLUMNS = [
  'attempt_id', 'order_id', 'provider', 'account_id', 'method', 'flow', 'status', 'provider_payment_id', 'next_action', 'amount_minor', 'currency', 'created_at',
] as const satisfies ReadonlyArray<keyof NewAttempt>;

/**
 * Inserts an attempt; answers it, or undefined when one with its id exists already (made
 * concurrently). On PostgreSQL the inserts of one event-loop turn share one statement.
 */
export async function insertAttempt(db: Db, a: NewAttempt): Promise<AttemptRecord | undefined> {
  if (sharesRoundTrips(db)) return insertBatcher(db).add(a);
  return insertStatement.first(db, [
    a.attempt_id,
    a.order_id,
    a.provider,
    a.account_id,
    a.method,
    a.flow,
    a.status,
    a.provider_payment_id,
    a.next_action,
    a.amount_minor,
    a.currency,
    a.created_at,
  ]);
}

// PostgreSQL: the attempts of one turn in one statement.
const insertMany = new PreparedQuery((db, slot) =>
  db
    .insertInto('payment_attempts')
    .columns([...NEW_ATTEMPT_COLUMNS, 'updated_at'])
    .expression(
      sql`select *, t.created_at from unnest(${slot(0)}::text[], ${slot(1)}::text[], ${slot(2)}::text[], ${slot(3)}::text[], ${slot(4)}::text[], ${slot(5)}::text[], ${slot(6)}::text[], ${slot(7)}::text[], ${slot(8)}::text[], ${slot(9)}::bigint[], ${slot(10)}::text[], ${slot(11)}::bigint[])
        as t(attempt_id, order_id, provider, account_id, method, flow, status, provider_payment_id, next_action, amount_minor, currency, created_at)`,
    )
    .onConflict((oc) => oc.column('attempt_id').doNothing())
    .returningAll(),
);
const insertBatcher = batcherPerDatabase(async (db, attempts: NewAttempt[]) => {
  const inserted = new Map((await insertMany.rows(db, NEW_ATTEMPT_COLUMNS.map((c) => attempts.map((a) => a[c])))).map((a) => [a.attempt_id, a]));
  return attempts.map((a) => {
    const row = inserted.get(a.attempt_id);
    // A second insert of the same id in one turn lost: it answers undefined, like a conflict.
    inserted.delete(a.attempt_id);
    return row;
  });
});

const byId = new PreparedQuery((db, slot) => db.selectFrom('payment_attempts').selectAll().where('attempt_id', '=', slot(0)));

export async function findAttempt(db: Db, attemptId: string): Promise<AttemptRecord | undefined> {
  return byId.first(db, [attemptId]);
}

// An order's attempts are a range of the primary key. The range alone could also hold a
// longer order id's attempts that start with the same digits (order ids have had more than
// one length), so the order id is checked too, on the few rows of the range.
const latestOfOrder = new PreparedQuery((db, slot) =>
  db
    .selectFrom('payment_attempts')
    .selectAll()
    .where('attempt_id', '>=', slot(0))
    .where('attempt_id', '<=', slot(1))
    .where('order_id', '=', slot(2))
    .orderBy('attempt_id', 'desc')
    .limit(1),
);

/** The order's newest attempt, if it has one. On PostgreSQL the reads of one turn share one query. */
export async function findLatestAttempt(db: Db, orderId: string): Promise<AttemptRecord | undefined> {
  if (sharesRoundTrips(db)) return latestBatcher(db).add(orderId);
  return latestOfOrder.first(db, [attemptIdOf(orderId, 0), attemptIdOf(orderId, MAX_ATTEMPTS), orderId]);
}

// PostgreSQL: the newest attempt of each of a turn's orders, each found by its own range of the
// key (the order id and 00 to 99: MAX_ATTEMPTS).
const latestOfOrders = new PreparedQuery((db, slot) =>
  db
    .selectFrom(sql<{ order_id: string }>`unnest(${slot(0)}::text[])`.as('o'))
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('payment_attempts as p')
          .selectAll('p')
          .whereRef('p.attempt_id', '>=', sql<string>`o.o || '00'`)
          .whereRef('p.attempt_id', '<=', sql<string>`o.o || '99'`)
          .whereRef('p.order_id', '=', sql<string>`o.o`)
          .orderBy('p.attempt_id', 'desc')
          .limit(1)
          .as('a'),
      (join) => join.onTrue(),
    )
    .selectAll('a'),
);
const latestBatcher = batcherPerDatabase(async (db, orderIds: string[]) => {
  const found = new Map((await latestOfOrders.rows(db, [[...new Set(orderIds)]])).map((a) => [a.order_id, a as AttemptRecord]));
  return orderIds.map((id) => found.get(id));
}, 128);

const attemptsOfOrder = new PreparedQuery((db, slot) =>
  db
    .selectFrom('payment_attempts')
    .selectAll()
    .where('attempt_id', '>=', slot(0))
    .where('attempt_id', '<=', slot(1))
    .where('order_id', '=', slot(2))
    .orderBy('attempt_id'),
);

/** Every attempt of the order, oldest first. */
export async function listAttemptsOfOrder(db: Db, orderId: string): Promise<AttemptRecord[]> {
  return attemptsOfOrder.rows(db, [attemptIdOf(orderId, 0), attemptIdOf(orderId, MAX_ATTEMPTS), orderId]);
}

/** What a provider's report says about the attempt: its status, its id there, what the payer paid. */
export interface AttemptUpdate {
  status: string;
  provider_payment_id?: string | null;
  payer_amount_minor?: number | null;
  payer_currency?: string | null;
  payer_rate?: string | null;
}

/** The update of an attempt by `updateArgs` (slots 0–6): a value not given (null) keeps the column's, so one statement serves every update. */
const updateOfAttempt = (db: Db, slot: (i: number) => never) =>
  db
    .updateTable('payment_attempts')
    .set({
      status: slot(0),
      provider_payment_id: sql`coalesce(${slot(1)}, provider_payment_id)`,
      payer_amount_minor: sql`coalesce(${slot(2)}, payer_amount_minor)`,
      payer_currency: sql`coalesce(${slot(3)}, payer_currency)`,
      payer_rate: sql`coalesce(${slot(4)}, payer_rate)`,
      updated_at: slot(5),
    })
    .where('attempt_id', '=', slot(6));

const updateStatement = new PreparedQuery((db, slot) => updateOfAttempt(db, slot));

const updateReturning = new PreparedQuery((db, slot) => updateOfAttempt(db, slot).where('provider', '=', slot(7)).returningAll());

/** updateAttempt of an attempt of `provider`'s, answering it after the update (undefined: no such attempt of that provider). */
export async function updateProvidersAttempt(db: Db, attemptId: string, provider: string, update: AttemptUpdate, now: number): Promise<AttemptRecord | undefined> {
  return updateReturning.first(db, [...updateArgs(update, now), attemptId, provider]);
}

function updateArgs(update: AttemptUpdate, now: number): unknown[] {
  return [update.status, update.provider_payment_id || null, update.payer_amount_minor ?? null, update.payer_currency || null, update.payer_rate || null, now];
}

/** Sets the attempt's status; the provider's id and the payer's amount, currency and rate when given (else kept). */
export async function updateAttempt(db: Db, attemptId: string, update: AttemptUpdate, now: number): Promise<void> {
  await updateStatement.execute(db, [...updateArgs(update, now), attemptId]);
}
