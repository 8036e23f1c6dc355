import { sql, type Selectable } from 'kysely';
import type { OrderTable } from './schema.js';
import { batcherPerDatabase, sharesRoundTrips } from './turn-batcher.js';
import { UniqueViolation, type Db } from './store.js';
import { dialectOf, lockForUpdate, lockSkippingLocked } from './dialect/locking.js';
import { PreparedQuery, preparedBySize } from './prepared.js';

export type OrderRecord = Selectable<OrderTable>;

// Up to 1,024 creates of one turn in one batch (PostgreSQL: one statement): the batches of a
// turn run one after another, each waiting for its commit.
const insertBatcher = batcherPerDatabase((db, rows: OrderRecord[]) => insertOrders(db, rows), 1024);

/**
 * Inserts a new order; throws a unique violation when its order_id, nonce or
 * (user_id, merchant_reference) exists already. Outside a transaction the insert joins
 * the group commit of its event-loop turn (see TurnBatcher).
 */
export async function insertOrder(db: Db, order: OrderRecord): Promise<void> {
  if (db.isTransaction) {
    await db.insertInto('orders').values(order).execute();
    return;
  }
  if (!(await insertBatcher(db).add(order))) throw new UniqueViolation('orders');
}

const ORDER_COLUMNS = [
  'order_id', 'user_id', 'wallet_id', 'organisation_id', 'merchant_reference', 'amount_minor', 'currency',
  'payment_method', 'product_name', 'return_url', 'callback_url', 'backpage_url', 'ip', 'host_type', 'present_qr',
  'request_hash', 'status', 'nonce', 'channel', 'provider_account_id', 'created_at', 'expires_at',
  'paid_at', 'updated_at', 'currency_rate', 'amount_cny_minor',
] as const satisfies ReadonlyArray<keyof OrderRecord>;
// Not written by a create: channel_trade_id and channel_qr_url (orders from before payment
// attempts only), review_reason (null until a payment does not match).

/**
 * SQLite: batches are cut into power-of-two chunks (77 rows: 64 + 8 + 4 + 1), so there are at
 * most eight INSERT statements of each dialect, not one per batch size: each prepared
 * statement of a hundred rows holds a large compiled program in SQLite.
 */
function powerOfTwoChunks<T>(items: readonly T[], largest = 128): T[][] {
  const chunks: T[][] = [];
  let at = 0;
  for (let size = largest; size >= 1; size /= 2) {
    while (items.length - at >= size) {
      chunks.push(items.slice(at, at + size));
      at += size;
    }
  }
  return chunks;
}

/** The multi-row INSERT of each chunk size. */
const insertStatement = preparedBySize((rowCount) => (db, slot) =>
  db
    .insertInto('orders')
    .values(
      Array.from({ length: rowCount }, (_, r) =>
        Object.fromEntries(ORDER_COLUMNS.map((column, c) => [column, slot(r * ORDER_COLUMNS.length + c)])) as unknown as OrderRecord,
      ),
    )
    .onConflict((oc) => oc.doNothing())
    .returning('order_id'),
);

/** PostgreSQL's type of each inserted column (the arrays of the one-statement insert are cast to them). */
const BIGINT_COLUMNS = new Set<string>(['organisation_id', 'amount_minor', 'created_at', 'expires_at', 'paid_at', 'updated_at', 'amount_cny_minor']);

/**
 * PostgreSQL: every row of the batch in one statement, whatever its size, each column
 * bound as one array (`unnest`). Multi-row VALUES in power-of-two chunks sent ~12 rows a
 * statement on average, each statement a round trip whose socket write, on loopback, cost
 * the gateway more CPU than the rest of the insert (see docs/performance.md).
 */
const unnestInsert = new PreparedQuery((db, slot) =>
  db
    .insertInto('orders')
    .columns([...ORDER_COLUMNS])
    .expression(
      sql`select * from unnest(${sql.join(
        ORDER_COLUMNS.map((column, i) => sql`${slot(i)}::${sql.raw(BIGINT_COLUMNS.has(column) ? 'bigint' : 'text')}[]`),
      )})`,
    )
    .onConflict((oc) => oc.doNothing())
    .returning('order_id'),
);

/**
 * Inserts the rows (on SQLite in multi-row INSERTs issued together, which share one
 * commit; on PostgreSQL in one statement); a row whose unique keys exist already is
 * skipped, not an error.
 */
async function insertOrders(db: Db, rows: OrderRecord[]): Promise<boolean[]> {
  let inserted: Array<{ order_id: string }>;
  if (dialectOf(db) === 'postgres') {
    const columns = ORDER_COLUMNS.map((column) => rows.map((row) => row[column]));
    inserted = await unnestInsert.rows(db, columns);
  } else {
    const chunks = await Promise.all(
      powerOfTwoChunks(rows).map((chunk) => {
        const values: unknown[] = [];
        for (const row of chunk) for (const column of ORDER_COLUMNS) values.push(row[column]);
        return insertStatement(chunk.length).rows(db, values);
      }),
    );
    inserted = chunks.flat();
  }
  // Rows go in in their order, so of two with one order_id the first is the one stored.
  const ids = new Set(inserted.map((r) => r.order_id));
  return rows.map((row) => ids.delete(row.order_id));
}

const byReference = new PreparedQuery((db, slot) =>
  db.selectFrom('orders').selectAll().where('user_id', '=', slot(0)).where('merchant_reference', '=', slot(1)),
);
/** The columns of an order its signed result (callback, redirect, query answer) is made of. */
const RESULT_COLUMNS = ['order_id', 'merchant_reference', 'currency', 'amount_minor', 'payment_method', 'status', 'paid_at', 'updated_at'] as const;
export type OrderResult = Pick<OrderRecord, (typeof RESULT_COLUMNS)[number]>;

/** One lookup of up to LOOKUP_BATCH (user_id, merchant_reference) pairs. */
const LOOKUP_BATCH = 128;
type ResultRow = OrderResult & { user_id: string };

const lookupBatcher = batcherPerDatabase(findResultsByReferences, LOOKUP_BATCH);

// PostgreSQL: one statement for any count, the keys bound as two arrays. (Pairs,
// `(a, b) IN ((…), …)`, were planned as a bitmap scan per pair; IN lists of the same
// length as the batch cost ~1.6 ms a run at 128 keys, the repeated user ids multiplying.)
const resultsByArrays = new PreparedQuery((db, slot) =>
  db
    .selectFrom('orders')
    .select([...RESULT_COLUMNS, 'user_id'])
    .where(sql<boolean>`user_id = any(${slot(0)}::text[]) and merchant_reference = any(${slot(1)}::text[])`),
);
// SQLite: IN lists, padded to a power of two by repeating a key (eight statements, not
// one per count); SQLite reads them off the unique index at ~3 µs a key.
const resultsByLists = preparedBySize((size) => (db, slot) =>
  db
    .selectFrom('orders')
    .select([...RESULT_COLUMNS, 'user_id'])
    .where('user_id', 'in', Array.from({ length: size }, (_, i) => slot(i)))
    .where('merchant_reference', 'in', Array.from({ length: size }, (_, i) => slot(size + i))),
);

async function findResultsByReferences(db: Db, keys: Array<readonly [string, string]>): Promise<Array<OrderResult | undefined>> {
  const users = [...new Set(keys.map((k) => k[0]))];
  const references = [...new Set(keys.map((k) => k[1]))];
  let rows: ResultRow[];
  if (dialectOf(db) === 'postgres') {
    rows = await resultsByArrays.rows(db, [users, references]);
  } else {
    let size = 1;
    while (size < Math.max(users.length, references.length)) size *= 2;
    const pad = (list: string[]) => list.concat(Array.from({ length: size - list.length }, () => list[0]));
    rows = await resultsByLists(size).rows(db, [...pad(users), ...pad(references)]);
  }
  // Every user crossed with every reference may find a pair nobody asked for: keep only those asked.
  const found = new Map(rows.map((row) => [`${row.user_id}\u0000${row.merchant_reference}`, row]));
  return keys.map(([userId, reference]) => found.get(`${userId}\u0000${reference}`));
}
const byNonce = new PreparedQuery((db, slot) => db.selectFrom('orders').selectAll().where('nonce', '=', slot(0)));
const byId = new PreparedQuery((db, slot) => db.selectFrom('orders').selectAll().where('order_id', '=', slot(0)));
const statusById = new PreparedQuery((db, slot) => db.selectFrom('orders').select('status').where('order_id', '=', slot(0)));

export async function findOrderByReference(db: Db, userId: string, merchantReference: string): Promise<OrderRecord | undefined> {
  return byReference.first(db, [userId, merchantReference]);
}

/**
 * Only what a query answer shows (reading the whole row cost a third more in SQLite).
 * Lookups made in the same event-loop turn share one query (one round trip to PostgreSQL).
 */
export async function findOrderResultByReference(db: Db, userId: string, merchantReference: string): Promise<OrderResult | undefined> {
  if (db.isTransaction) return (await findResultsByReferences(db, [[userId, merchantReference]]))[0];
  return lookupBatcher(db).add([userId, merchantReference]);
}

/**
 * The order of a nonce: its current one, or one it had before a checkout retry renewed it
 * (`order.nonce` then differs from `nonce`).
 */
export async function findOrderByNonce(db: Db, nonce: string): Promise<OrderRecord | undefined> {
  return (await byNonce.first(db, [nonce])) ?? (await byEarlierNonce.first(db, [nonce]));
}

const byEarlierNonce = new PreparedQuery((db, slot) =>
  db
    .selectFrom('earlier_nonces')
    .innerJoin('orders', 'orders.order_id', 'earlier_nonces.order_id')
    .selectAll('orders')
    .where('earlier_nonces.nonce', '=', slot(0)),
);

/** On PostgreSQL, the reads of one event-loop turn made outside a transaction share one query. */
export async function findOrderById(db: Db, orderId: string): Promise<OrderRecord | undefined> {
  if (sharesRoundTrips(db)) return byIdBatcher(db).add(orderId);
  return byId.first(db, [orderId]);
}

/**
 * What a query answer shows of the order `orderId` (RESULT_COLUMNS). On PostgreSQL the reads
 * of one event-loop turn share one query, as findOrderById's do.
 */
export async function findOrderResultById(db: Db, orderId: string): Promise<OrderResult | undefined> {
  if (sharesRoundTrips(db)) return resultByIdBatcher(db).add(orderId);
  return resultById.first(db, [orderId]);
}

const resultById = new PreparedQuery((db, slot) => db.selectFrom('orders').select(RESULT_COLUMNS).where('order_id', '=', slot(0)));

export async function findOrderStatus(db: Db, orderId: string): Promise<string | undefined> {
  if (sharesRoundTrips(db)) return (await resultByIdBatcher(db).add(orderId))?.status;
  return (await statusById.first(db, [orderId]))?.status;
}

/** The lookups by order id of one turn in one query (`query` binds the ids as one array), answered per id. */
const batchedById = <Row extends { order_id: string }>(query: PreparedQuery<Row>) =>
  batcherPerDatabase(async (db, orderIds: string[]) => {
    const found = new Map((await query.rows(db, [[...new Set(orderIds)]])).map((row) => [row.order_id, row]));
    return orderIds.map((id) => found.get(id));
  }, LOOKUP_BATCH);
const byIdBatcher = batchedById(
  new PreparedQuery((db, slot) => db.selectFrom('orders').selectAll().where(sql<boolean>`order_id = any(${slot(0)}::text[])`)),
);
const resultByIdBatcher = batchedById(
  new PreparedQuery((db, slot) => db.selectFrom('orders').select(RESULT_COLUMNS).where(sql<boolean>`order_id = any(${slot(0)}::text[])`)),
);

/**
 * Gives a still-pending order a fresh nonce (a customer retrying checkout); the one it had
 * is kept in earlier_nonces, so a page opened with it still finds the order.
 */
export async function renewOrderNonce(db: Db, orderId: string, nonce: string, now: number): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    // The row is locked (PostgreSQL; SQLite runs one writer): retries at once renew in turn,
    // each keeping the nonce the one before it gave.
    const current = await lockForUpdate(trx, trx.selectFrom('orders').select('nonce').where('order_id', '=', orderId).where('status', '=', 'pending')).executeTakeFirst();
    if (!current) return false;
    await trx.updateTable('orders').set({ nonce, updated_at: now }).where('order_id', '=', orderId).execute();
    await trx.insertInto('earlier_nonces').values({ nonce: current.nonce, order_id: orderId, replaced_at: now }).execute();
    return true;
  });
}

/**
 * Moves a pending order to a final status. Returns false when it was no longer pending,
 * so that of two concurrent settlements exactly one wins.
 */
const finishPending = new PreparedQuery((db, slot) =>
  db
    .updateTable('orders')
    .set({ status: slot(0), paid_at: slot(1), updated_at: slot(2) })
    .where('order_id', '=', slot(3))
    .where('status', '=', 'pending'),
);

export async function finishPendingOrder(db: Db, orderId: string, status: string, paidAt: number | null, now: number): Promise<boolean> {
  return (await finishPending.affected(db, [status, paidAt, now, orderId])) === 1;
}

// FOR UPDATE where the database has row locks (PostgreSQL); SQLite's transaction holds its one write lock.
const lockById = new PreparedQuery((db, slot) => lockForUpdate(db, db.selectFrom('orders').selectAll().where('order_id', '=', slot(0))));

/**
 * Reads the order for the rest of the transaction: locked where the database has row
 * locks, so that the provider's event recorded after it and the order's change are taken
 * in the same order by every transaction.
 */
export async function findOrderForUpdate(db: Db, orderId: string): Promise<OrderRecord | undefined> {
  return lockById.first(db, [orderId]);
}

/** Flags a pending order for an operator (a payment that did not match it); the first reason stays. */
export async function flagOrderForReview(db: Db, orderId: string, reason: string, now: number): Promise<void> {
  await db
    .updateTable('orders')
    .set({ review_reason: reason.slice(0, 500), updated_at: now })
    .where('order_id', '=', orderId)
    .where('status', '=', 'pending')
    .where('review_reason', 'is', null)
    .execute();
}

/**
 * Flags an order for an operator whatever its status: a late payment that could not be given
 * back (its reversal failed) is money the order holds and should not. The first reason stays.
 */
export async function flagFinishedOrder(db: Db, orderId: string, reason: string, now: number): Promise<void> {
  await db
    .updateTable('orders')
    .set({ review_reason: reason.slice(0, 500), updated_at: now })
    .where('order_id', '=', orderId)
    .where('review_reason', 'is', null)
    .execute();
}

/** Up to `limit` pending orders whose payment window closed by `now`, oldest first (not locked). */
export async function findExpiredOrders(db: Db, now: number, limit: number): Promise<Array<Pick<OrderRecord, 'order_id' | 'user_id'>>> {
  return db
    .selectFrom('orders')
    .select(['order_id', 'user_id'])
    .where('status', '=', 'pending')
    .where('expires_at', '<=', now)
    // A flagged order was paid, but not as it should have been: the operator ends it.
    .where('review_reason', 'is', null)
    .orderBy('expires_at')
    .limit(limit)
    .execute();
}

/**
 * Locks those of `orderIds` that are still pending and expired, for the rest of the
 * transaction. On PostgreSQL rows another sweeper holds are skipped (FOR UPDATE SKIP
 * LOCKED), so concurrent sweeps never take the same order.
 */
export async function lockExpiredOrders(db: Db, orderIds: readonly string[], now: number): Promise<OrderRecord[]> {
  if (orderIds.length === 0) return [];
  return lockSkippingLocked(
    db,
    db
      .selectFrom('orders')
      .selectAll()
      .where('order_id', 'in', orderIds)
      .where('status', '=', 'pending')
      .where('expires_at', '<=', now)
      .where('review_reason', 'is', null)
      .orderBy('expires_at'),
  ).execute();
}

/** Orders whose merchant_reference is `reference`, of any user (at most `limit`): an operator's lookup. */
export async function findOrdersByReference(db: Db, reference: string, limit = 10): Promise<OrderRecord[]> {
  return db.selectFrom('orders').selectAll().where('merchant_reference', '=', reference).orderBy('order_id').limit(limit).execute();
}

export interface OrderFilter {
  /** Order ids at or above this (the day of `createdSince`: see orderIdLowerBound), which narrows the scan. */
  readonly fromOrderId?: string;
  /** Created at or after this (epoch ms). */
  readonly createdSince?: number;
  readonly status?: string;
  readonly userId?: string;
  readonly walletId?: string;
  /** Only orders flagged for review: pending ones (a payment that did not match), and any with a late payment that could not be given back. */
  readonly flagged?: boolean;
  readonly limit: number;
}

/** The newest orders matching `filter`, newest first (a range of the primary key, which starts with the time). */
export async function listOrders(db: Db, filter: OrderFilter): Promise<OrderRecord[]> {
  let query = db.selectFrom('orders').selectAll();
  if (filter.fromOrderId !== undefined) query = query.where('order_id', '>=', filter.fromOrderId);
  if (filter.createdSince !== undefined) query = query.where('created_at', '>=', filter.createdSince);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  if (filter.walletId !== undefined) query = query.where('wallet_id', '=', filter.walletId);
  if (filter.flagged) {
    // A final order's flag stays as its history once settled; it needs an operator only while its money is held (a failed reversal).
    query = query
      .where('review_reason', 'is not', null)
      .where((eb) =>
        eb.or([
          eb('status', '=', 'pending'),
          eb.exists(
            eb
              .selectFrom('refunds')
              .select('refunds.refund_id')
              .whereRef('refunds.order_id', '=', 'orders.order_id')
              .where('refunds.kind', '=', 'reversal')
              .where('refunds.status', '=', 'failed'),
          ),
        ]),
      );
  }
  return query.orderBy('order_id', 'desc').limit(filter.limit).execute();
}

/**
 * Orders pending with a real provider (not the sandbox) since before `createdBefore`,
 * oldest first, after `after` (a cursor). They are few and the partial index
 * orders_provider_pending_idx holds only them, so the sweep never reads the sandbox's.
 */
export async function findStaleProviderOrders(
  db: Db,
  createdBefore: number,
  after: { createdAt: number; orderId: string } | undefined,
  limit: number,
): Promise<Array<Pick<OrderRecord, 'order_id' | 'created_at'>>> {
  return (await staleProviderOrdersQuery(db, createdBefore, after, limit).execute(db)).rows;
}

/**
 * The sweep's query. The index's condition is written as literals: SQLite serves a query
 * from a partial index only when its WHERE says so in its text, not in bound values. And
 * SQLite is told the index by name: without statistics its planner preferred
 * orders_status_expires_idx, which walks every pending order, the sandbox's too (400 ms on
 * the event loop, twice a minute, with a million orders).
 */
export function staleProviderOrdersQuery(
  db: Db,
  createdBefore: number,
  after: { createdAt: number; orderId: string } | undefined,
  limit: number,
) {
  const index = dialectOf(db) === 'sqlite' ? sql` indexed by orders_provider_pending_idx` : sql``;
  const from = after
    ? sql` and (created_at > ${after.createdAt} or (created_at = ${after.createdAt} and order_id > ${after.orderId}))`
    : sql``;
  return sql<Pick<OrderRecord, 'order_id' | 'created_at'>>`select order_id, created_at from orders${index}
    where status = 'pending' and provider_account_id <> 'sandbox' and created_at < ${createdBefore}${from}
    order by created_at, order_id limit ${limit}`;
}
