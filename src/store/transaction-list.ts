import { sql, type SelectQueryBuilder } from 'kysely';
import type { TransactionFilter, TransactionKey } from '../domain/transaction-filter.js';
import type { Database } from './schema.js';
import type { OrderRecord } from './orders.js';
import type { Db } from './store.js';

/** One organisation's orders, by what the portal's transaction list filters on. */
export interface TransactionQuery extends TransactionFilter {
  readonly organisationId: number;
}

/** The first window a filtered page tries (see readTransactionPage). */
const FIRST_WINDOW = 1_000;

export const TRANSACTION_COLUMNS = [
  'order_id', 'merchant_reference', 'user_id', 'wallet_id', 'amount_minor', 'currency', 'payment_method', 'status',
  'product_name', 'created_at', 'paid_at', 'review_reason',
] as const satisfies ReadonlyArray<keyof OrderRecord>;
export type TransactionRow = Pick<OrderRecord, (typeof TRANSACTION_COLUMNS)[number]>;

export interface TransactionPage {
  /** At most the page size, newest first. */
  readonly rows: TransactionRow[];
  /** Where the next page starts; undefined: there is nothing older. */
  readonly next?: TransactionKey;
  /**
   * The page is short because its scan window ended (`next` is where it ended), not because
   * nothing older matches: a filter few orders match is read a window at a time.
   */
  readonly windowEnded: boolean;
}

/**
 * A page of an organisation's orders matching `q`, newest first by (created_at, order_id).
 *
 * Read as a backward range of orders_organisation_created_idx (organisation_id,
 * created_at, order_id) from `q.after`, the other filters checked on the rows the range
 * visits. A filter that few orders match would make that range the organisation's whole
 * history (a second or more at a million orders, and on SQLite a second the event loop
 * waits), so the range is cut at `window` orders: the page holds what matched among them,
 * and `next` continues below them. A search is found by its keys instead (the primary key,
 * the (user_id, merchant_reference) index) and needs no window.
 */
export async function readTransactionPage(db: Db, q: TransactionQuery, pageSize: number, window: number): Promise<TransactionPage> {
  if (q.search !== undefined) {
    const ids = await findSearchedOrderIds(db, q.organisationId, q.search);
    if (ids.length === 0) return { rows: [], windowEnded: false };
    const rows = await transactionsQuery(db, q, undefined).where('order_id', 'in', ids).limit(pageSize + 1).execute();
    return pageOf(rows, pageSize, undefined);
  }
  // Without a filter of the rows themselves every order of the range matches: no window needed.
  if (!filtersRows(q)) return pageOf(await transactionsQuery(db, q, undefined).limit(pageSize + 1).execute(), pageSize, undefined);
  // A small window first: a filter many orders match fills its page from it, and finding a
  // window's end walks the index that far. Then the whole window.
  for (const size of window > FIRST_WINDOW ? [FIRST_WINDOW, window] : [window]) {
    const windowEnd = await findWindowEnd(db, q, size);
    const rows = await transactionsQuery(db, q, windowEnd).limit(pageSize + 1).execute();
    if (rows.length > pageSize || windowEnd === undefined || size === window) return pageOf(rows, pageSize, windowEnd);
  }
  throw new Error('unreachable');
}

/**
 * Every order of an organisation matching `q` from `q.after` on, newest first, in batches of
 * at most `batchSize` (for an export). The same reads as readTransactionPage's, but each
 * window's end is found once and its rows read in as many batches as they take: a whole
 * history costs one pass over the index, not a window's scan per batch.
 */
export async function* readAllTransactions(db: Db, q: TransactionQuery, batchSize: number, window: number): AsyncGenerator<TransactionRow[]> {
  if (q.search !== undefined) {
    const ids = await findSearchedOrderIds(db, q.organisationId, q.search);
    if (ids.length > 0) yield await transactionsQuery(db, q, undefined).where('order_id', 'in', ids).execute();
    return;
  }
  let after = q.after;
  for (;;) {
    const windowEnd = filtersRows(q) ? await findWindowEnd(db, { ...q, after }, window) : undefined;
    let from = after;
    for (;;) {
      const rows = await transactionsQuery(db, { ...q, after: from }, windowEnd).limit(batchSize).execute();
      if (rows.length > 0) yield rows;
      if (rows.length < batchSize) break;
      from = keyOf(rows[rows.length - 1] as TransactionRow);
    }
    if (!windowEnd) return;
    after = windowEnd;
  }
}

/** Whether `q` filters on more than the range of the index (organisation, dates, cursor). */
function filtersRows(q: TransactionQuery): boolean {
  return q.status !== undefined || q.method !== undefined || q.walletId !== undefined || q.minMinor !== undefined || q.maxMinor !== undefined;
}

function pageOf(rows: TransactionRow[], pageSize: number, windowEnd: TransactionKey | undefined): TransactionPage {
  if (rows.length > pageSize) {
    const kept = rows.slice(0, pageSize);
    const last = kept[pageSize - 1] as TransactionRow;
    return { rows: kept, next: keyOf(last), windowEnded: false };
  }
  return windowEnd ? { rows, next: windowEnd, windowEnded: true } : { rows, windowEnded: false };
}

export type { TransactionKey };

export function keyOf(row: Pick<TransactionRow, 'created_at' | 'order_id'>): TransactionKey {
  return { createdAt: Number(row.created_at), orderId: row.order_id };
}

/**
 * The key of the `window`-th order of the range the page reads (organisation, dates,
 * cursor), from the index alone; undefined when the range holds fewer.
 */
async function findWindowEnd(db: Db, q: TransactionQuery, window: number): Promise<TransactionKey | undefined> {
  const row = await rangeOf(db.selectFrom('orders').select(['created_at', 'order_id']), q)
    .orderBy('created_at', 'desc')
    .orderBy('order_id', 'desc')
    .limit(1)
    .offset(window - 1)
    .executeTakeFirst();
  return row ? keyOf(row) : undefined;
}

/** An order_id, or a merchant_reference of any of the organisation's users: each found by its key. */
async function findSearchedOrderIds(db: Db, organisationId: number, search: string): Promise<string[]> {
  const byId = db.selectFrom('orders').select('order_id').where('order_id', '=', search).where('organisation_id', '=', organisationId);
  const byReference = db
    .selectFrom('orders')
    .select('order_id')
    .where('user_id', 'in', (users) => users.selectFrom('users').select('users.id').where('users.organisation_id', '=', organisationId))
    .where('merchant_reference', '=', search);
  const rows = await byId.union(byReference).execute();
  return rows.map((r) => r.order_id);
}

/** The organisation, the dates and the cursor: the range of the index a page reads. */
function rangeOf<O>(query: SelectQueryBuilder<Database, 'orders', O>, q: TransactionQuery): SelectQueryBuilder<Database, 'orders', O> {
  let out = query.where('organisation_id', '=', q.organisationId);
  if (q.createdFrom !== undefined) out = out.where('created_at', '>=', q.createdFrom);
  if (q.createdBefore !== undefined) out = out.where('created_at', '<', q.createdBefore);
  // A row value, which both databases read as one bound of the index's range; with the
  // time alone beside it, which PostgreSQL's statistics can weigh (they cannot a row value).
  if (q.after !== undefined) {
    out = out.where('created_at', '<=', q.after.createdAt).where(sql<boolean>`(created_at, order_id) < (${q.after.createdAt}, ${q.after.orderId})`);
  }
  return out;
}

/** The page's statement, unlimited: the range (down to `windowEnd`, inclusive) and the filters. */
export function transactionsQuery(db: Db, q: TransactionQuery, windowEnd: TransactionKey | undefined) {
  let query = rangeOf(db.selectFrom('orders').select(TRANSACTION_COLUMNS), q);
  if (windowEnd !== undefined) {
    query = query.where('created_at', '>=', windowEnd.createdAt).where(sql<boolean>`(created_at, order_id) >= (${windowEnd.createdAt}, ${windowEnd.orderId})`);
  }
  if (q.status !== undefined) query = query.where('status', '=', q.status);
  if (q.method !== undefined) query = query.where('payment_method', '=', q.method);
  if (q.walletId !== undefined) query = query.where('wallet_id', '=', q.walletId);
  if (q.minMinor !== undefined) query = query.where('amount_minor', '>=', q.minMinor);
  if (q.maxMinor !== undefined) query = query.where('amount_minor', '<=', q.maxMinor);
  return query.orderBy('created_at', 'desc').orderBy('order_id', 'desc');
}
