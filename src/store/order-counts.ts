import { ORDER_STATUSES, type OrderStatus } from '../domain/order-status.js';
import type { Db } from './store.js';

export type OrderCounts = Record<OrderStatus, number>;

/**
 * How far behind the clock the counted-once boundary stays: an order is created with
 * `expires_at` = its creation time + ORDER_TTL_SECONDS (PAYID_TTL_SECONDS for PayID; either
 * at least a minute), so no order
 * created from now on can fall below the boundary, even from an instance whose clock runs
 * this much behind.
 */
const BOUNDARY_LAG_MS = 10 * 60_000;

/**
 * Orders by status, for the metrics, without counting the whole table each time.
 *
 * A final status never changes (order-status.ts), `expires_at` never changes, and a new
 * order expires in the future. So once no pending order expires before a boundary B, the
 * orders expiring before B are all final and stay as they are: they are counted once, and
 * later only the slice between the old and the new boundary is added. Each call counts the
 * orders expiring from the boundary on (those of the last payment window + 10 minutes,
 * the only ones that can still change). Every query is a range of orders_status_expires_idx
 * (status, expires_at), read from the index alone.
 *
 * The boundary never passes the oldest pending order: while orders stay pending past their
 * window (no process sweeping expiry), counting starts from the oldest of them.
 */
export class OrderStatusCounter {
  readonly #db: Db;
  /** Orders expiring before #boundary, by status: all final, counted once. */
  #settled: OrderCounts | undefined;
  #boundary = 0;

  constructor(db: Db) {
    this.#db = db;
  }

  async count(now: number): Promise<OrderCounts> {
    const oldestPending = await findOldestPendingExpiry(this.#db);
    // A pending order below the boundary would be missed: only clocks far apart make one; start over.
    if (this.#settled !== undefined && oldestPending !== undefined && oldestPending < this.#boundary) this.#settled = undefined;
    const boundary = Math.min(now - BOUNDARY_LAG_MS, oldestPending ?? Number.POSITIVE_INFINITY);
    if (this.#settled === undefined) {
      this.#settled = await countOrdersExpiring(this.#db, undefined, boundary);
      this.#boundary = boundary;
    } else if (boundary > this.#boundary) {
      const slice = await countOrdersExpiring(this.#db, this.#boundary, boundary);
      this.#settled = addCounts(this.#settled, slice);
      this.#boundary = boundary;
    }
    return addCounts(this.#settled, await countOrdersExpiring(this.#db, this.#boundary, undefined));
  }
}

/** The orders with `from` ≤ expires_at < `to` (either end open when undefined), by status. */
export async function countOrdersExpiring(db: Db, from: number | undefined, to: number | undefined): Promise<OrderCounts> {
  let query = db
    .selectFrom('orders')
    .select((eb) => ['status', eb.fn.countAll<number | string>().as('n')])
    // Naming every status lets both databases walk the index range of each one.
    .where('status', 'in', ORDER_STATUSES);
  if (from !== undefined) query = query.where('expires_at', '>=', from);
  if (to !== undefined) query = query.where('expires_at', '<', to);
  const rows = await query.groupBy('status').execute();
  const counts = emptyCounts();
  for (const row of rows) counts[row.status as OrderStatus] = Number(row.n);
  return counts;
}

/** The earliest expires_at of a pending order, or undefined when none is pending (one index lookup). */
export async function findOldestPendingExpiry(db: Db): Promise<number | undefined> {
  const row = await db
    .selectFrom('orders')
    .select((eb) => eb.fn.min('expires_at').as('oldest'))
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return row?.oldest == null ? undefined : Number(row.oldest);
}

function emptyCounts(): OrderCounts {
  return Object.fromEntries(ORDER_STATUSES.map((status) => [status, 0])) as OrderCounts;
}

function addCounts(a: OrderCounts, b: OrderCounts): OrderCounts {
  return Object.fromEntries(ORDER_STATUSES.map((status) => [status, a[status] + b[status]])) as OrderCounts;
}
