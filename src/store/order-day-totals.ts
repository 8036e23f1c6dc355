import { sql } from 'kysely';
import { DAY_MS, startOfDay } from '../domain/calendar-day.js';
import type { OrderDayTotal } from '../domain/dashboard-summary.js';
import { ORDER_STATUSES, type FinalStatus } from '../domain/order-status.js';
import { catchUpDayTotals, readWithProgress, type DayTotalsSource } from './day-totals-progress.js';
import { findOldestPendingExpiry } from './order-counts.js';
import type { Db } from './store.js';

const FINAL_STATUSES = ORDER_STATUSES.filter((s): s is FinalStatus => s !== 'pending');

/** As in order-counts.ts: no order created from now on can expire before now minus this, even from an instance whose clock runs behind. */
const BOUNDARY_LAG_MS = 10 * 60_000;

const SCOPE = 'orders';
const KEY = ['organisation_id', 'day', 'wallet_id', 'currency', 'payment_method', 'status'] as const;

type Row = OrderDayTotal & { organisationId: number };

/**
 * Final orders by organisation, day of creation, wallet, method and status, for the
 * dashboard, without reading a merchant's whole history on each visit and without a
 * write on the create or settle path.
 *
 * The rule order-counts.ts rests on: a final status never changes, `expires_at` never
 * changes, and a new order expires in the future. So once no pending order expires before
 * a boundary B, the orders expiring before B are final for good: they are added to
 * `order_day_totals` once, a slice at a time as B moves on (each slice is a range of
 * orders_status_expires_idx per final status, so the pending orders are never read). A
 * read is the totals below B plus the final orders of the organisation from B on, summed
 * live: those of the last payment window. B never passes the oldest pending order.
 */
export class OrderDayTotals {
  readonly #db: Db;
  readonly #offsetMinutes: number;
  #catchingUp: Promise<void> | undefined;

  constructor(db: Db, offsetMinutes: number) {
    this.#db = db;
    this.#offsetMinutes = offsetMinutes;
  }

  /** Adds the orders that have become final for good since the last catch-up (one at a time in this process). */
  catchUp(now: number): Promise<void> {
    if (this.#catchingUp) return this.#catchingUp;
    const running = (async () => {
      const oldestPending = await findOldestPendingExpiry(this.#db);
      const target = Math.min(now - BOUNDARY_LAG_MS, oldestPending ?? Number.POSITIVE_INFINITY);
      await catchUpDayTotals(this.#db, orderSource(this.#offsetMinutes), target, this.#offsetMinutes);
    })();
    this.#catchingUp = running;
    const forget = () => {
      if (this.#catchingUp === running) this.#catchingUp = undefined;
    };
    running.then(forget, forget);
    return running;
  }

  /** The organisation's final orders created on fromDay..toDay (days in the offset), by day, wallet, currency, method and status. */
  async read(organisationId: number, fromDay: number, toDay: number, now: number): Promise<OrderDayTotal[]> {
    await this.catchUp(now);
    const db = this.#db;
    const { boundary, totals } = await readWithProgress(
      db,
      SCOPE,
      this.#offsetMinutes,
      () =>
        db
          .selectFrom('order_day_totals')
          .selectAll()
          .where('organisation_id', '=', organisationId)
          .where('day', '>=', fromDay)
          .where('day', '<=', toDay)
          .execute(),
      [],
    );
    const live = await sumFinalOrders(db, this.#offsetMinutes, {
      from: boundary,
      organisationId,
      createdFrom: startOfDay(fromDay, this.#offsetMinutes),
      createdTo: startOfDay(toDay + 1, this.#offsetMinutes),
    });
    const merged = new Map<string, OrderDayTotal>();
    const rows: OrderDayTotal[] = totals.map((t) => ({
      day: Number(t.day),
      walletId: t.wallet_id,
      currency: t.currency,
      method: t.payment_method,
      status: t.status as FinalStatus,
      orders: Number(t.orders),
      amountMinor: Number(t.amount_minor),
    }));
    for (const row of [...rows, ...live.rows]) {
      const key = JSON.stringify([row.day, row.walletId, row.currency, row.method, row.status]);
      const seen = merged.get(key);
      if (seen) {
        seen.orders += row.orders;
        seen.amountMinor += row.amountMinor;
      } else {
        merged.set(key, { day: row.day, walletId: row.walletId, currency: row.currency, method: row.method, status: row.status, orders: row.orders, amountMinor: row.amountMinor });
      }
    }
    return [...merged.values()];
  }
}

function orderSource(offsetMinutes: number): DayTotalsSource<Row> {
  return {
    scope: SCOPE,
    findFirst: findFirstFinalExpiry,
    sum: (db, from, to) => sumFinalOrders(db, offsetMinutes, { from, to }),
    async add(trx, rows) {
      for (let i = 0; i < rows.length; i += 500) {
        await trx
          .insertInto('order_day_totals')
          .values(
            rows.slice(i, i + 500).map((r) => ({
              organisation_id: r.organisationId,
              day: r.day,
              wallet_id: r.walletId,
              currency: r.currency,
              payment_method: r.method,
              status: r.status,
              orders: r.orders,
              amount_minor: r.amountMinor,
            })),
          )
          .onConflict((oc) =>
            oc.columns(KEY).doUpdateSet({
              orders: sql`order_day_totals.orders + excluded.orders`,
              amount_minor: sql`order_day_totals.amount_minor + excluded.amount_minor`,
            }),
          )
          .execute();
      }
    },
    async clear(trx) {
      await trx.deleteFrom('order_day_totals').execute();
    },
  };
}

/** The earliest expires_at ≥ `from` of a final order: one lookup in orders_status_expires_idx per final status. */
async function findFirstFinalExpiry(db: Db, from: number): Promise<number | undefined> {
  let first: number | undefined;
  for (const status of FINAL_STATUSES) {
    const row = await db
      .selectFrom('orders')
      .select((eb) => eb.fn.min('expires_at').as('first'))
      .where('status', '=', status)
      .where('expires_at', '>=', from)
      .executeTakeFirst();
    if (row?.first != null && (first === undefined || Number(row.first) < first)) first = Number(row.first);
  }
  return first;
}

/**
 * Final orders with from ≤ expires_at < to, summed by organisation, day of creation,
 * wallet, currency, method and status; optionally of one organisation created in
 * [createdFrom, createdTo). Naming each final status lets both databases walk the index
 * range of each and never read a pending order.
 */
async function sumFinalOrders(
  db: Db,
  offsetMinutes: number,
  range: { from: number; to?: number; organisationId?: number; createdFrom?: number; createdTo?: number },
): Promise<{ rows: Row[]; sourceRows: number }> {
  // Literals, not parameters: PostgreSQL must see the same expression in SELECT and GROUP BY.
  const day = sql<number>`(created_at + ${sql.lit(Math.trunc(offsetMinutes) * 60_000)}) / ${sql.lit(DAY_MS)}`;
  let query = db
    .selectFrom('orders')
    .select((eb) => [
      'organisation_id',
      'wallet_id',
      'currency',
      'payment_method',
      'status',
      day.as('day'),
      eb.fn.countAll<number | string>().as('orders'),
      eb.fn.sum<number | string>('amount_minor').as('amount'),
    ])
    .where('status', 'in', FINAL_STATUSES)
    .where('expires_at', '>=', range.from);
  if (range.to !== undefined) query = query.where('expires_at', '<', range.to);
  if (range.organisationId !== undefined) query = query.where('organisation_id', '=', range.organisationId);
  if (range.createdFrom !== undefined) query = query.where('created_at', '>=', range.createdFrom);
  if (range.createdTo !== undefined) query = query.where('created_at', '<', range.createdTo);
  const found = await query.groupBy(['organisation_id', 'wallet_id', 'currency', 'payment_method', 'status', day]).execute();
  let sourceRows = 0;
  const rows = found.map((r) => {
    sourceRows += Number(r.orders);
    return {
      organisationId: Number(r.organisation_id),
      day: Number(r.day),
      walletId: r.wallet_id,
      currency: r.currency,
      method: r.payment_method,
      status: r.status as FinalStatus,
      orders: Number(r.orders),
      amountMinor: Number(r.amount),
    };
  });
  return { rows, sourceRows };
}
