import { sql, type Selectable } from 'kysely';
import type { SandboxTradeTable } from './schema.js';
import type { Db } from './store.js';
import { PreparedQuery } from './prepared.js';
import { batcherPerDatabase, sharesRoundTrips } from './turn-batcher.js';

export type SandboxTradeRecord = Selectable<SandboxTradeTable>;
/** A trade as opened: nothing to add to its status yet. */
export type NewSandboxTrade = Omit<SandboxTradeRecord, 'detail'>;

const insertTrade = new PreparedQuery((db, slot) =>
  db
    .insertInto('sandbox_trades')
    .values({
      trade_no: slot(0),
      out_trade_no: slot(1),
      method: slot(2),
      amount_minor: slot(3),
      currency: slot(4),
      subject: slot(5),
      status: slot(6),
      created_at: slot(7),
      updated_at: slot(8),
    })
    .onConflict((oc) => oc.column('out_trade_no').doNothing())
    .returningAll(),
);
const byTradeNo = new PreparedQuery((db, slot) => db.selectFrom('sandbox_trades').selectAll().where('trade_no', '=', slot(0)));
const byOutTradeNo = new PreparedQuery((db, slot) => db.selectFrom('sandbox_trades').selectAll().where('out_trade_no', '=', slot(0)));
const setStatus = new PreparedQuery((db, slot) => db.updateTable('sandbox_trades').set({ status: slot(0), updated_at: slot(1) }).where('trade_no', '=', slot(2)));
const settleOpen = new PreparedQuery((db, slot) =>
  db
    .updateTable('sandbox_trades')
    .set({ status: slot(0), updated_at: slot(1), detail: slot(3) })
    .where('trade_no', '=', slot(2))
    .where('status', '=', 'WAIT_BUYER_PAY')
    .returningAll(),
);

/** The trade as inserted, or undefined when the attempt already has one. */
export async function insertSandboxTrade(db: Db, t: NewSandboxTrade): Promise<SandboxTradeRecord | undefined> {
  if (sharesRoundTrips(db)) return insertBatcher(db).add(t);
  return insertTrade.first(db, [t.trade_no, t.out_trade_no, t.method, t.amount_minor, t.currency, t.subject, t.status, t.created_at, t.updated_at]);
}

// PostgreSQL: the writes of one turn share one statement (see sharesRoundTrips).
const TRADE_COLUMNS = ['trade_no', 'out_trade_no', 'method', 'amount_minor', 'currency', 'subject', 'status', 'created_at', 'updated_at'] as const;
const insertTrades = new PreparedQuery((db, slot) =>
  db
    .insertInto('sandbox_trades')
    .columns([...TRADE_COLUMNS])
    .expression(
      sql`select * from unnest(${slot(0)}::text[], ${slot(1)}::text[], ${slot(2)}::text[], ${slot(3)}::bigint[], ${slot(4)}::text[], ${slot(5)}::text[], ${slot(6)}::text[], ${slot(7)}::bigint[], ${slot(8)}::bigint[])`,
    )
    .onConflict((oc) => oc.column('out_trade_no').doNothing())
    .returningAll(),
);
const insertBatcher = batcherPerDatabase(async (db, trades: NewSandboxTrade[]) => {
  const inserted = new Map((await insertTrades.rows(db, TRADE_COLUMNS.map((c) => trades.map((t) => t[c])))).map((t) => [t.trade_no, t]));
  return trades.map((t) => inserted.get(t.trade_no));
});
const settleTrades = new PreparedQuery((db, slot) => {
  const at = sql`array_position(${slot(0)}::text[], trade_no)`;
  return db
    .updateTable('sandbox_trades')
    .set({
      status: sql<string>`(${slot(1)}::text[])[${at}]`,
      updated_at: sql<number>`(${slot(2)}::bigint[])[${at}]`,
      detail: sql<string | null>`(${slot(3)}::text[])[${at}]`,
    })
    .where(sql<boolean>`trade_no = any(${slot(0)}::text[])`)
    .where('status', '=', 'WAIT_BUYER_PAY')
    .returningAll();
});
const settleBatcher = batcherPerDatabase(async (db, items: Array<{ tradeNo: string; status: string; now: number; detail: string | null }>) => {
  const args = [items.map((t) => t.tradeNo), items.map((t) => t.status), items.map((t) => t.now), items.map((t) => t.detail)];
  const settled = new Map((await settleTrades.rows(db, args)).map((t) => [t.trade_no, t]));
  // A trade listed twice settled once, with its first listing's status: only that one is told so.
  return items.map((t) => {
    const trade = settled.get(t.tradeNo);
    settled.delete(t.tradeNo);
    return trade;
  });
});

export async function findSandboxTrade(db: Db, tradeNo: string): Promise<SandboxTradeRecord | undefined> {
  return byTradeNo.first(db, [tradeNo]);
}

export async function findSandboxTradeByOutTradeNo(db: Db, outTradeNo: string): Promise<SandboxTradeRecord | undefined> {
  return byOutTradeNo.first(db, [outTradeNo]);
}

/** The newest trade of an order's attempts (their trade numbers are the order id and two digits). */
export async function findSandboxTradeOfOrder(db: Db, orderId: string): Promise<SandboxTradeRecord | undefined> {
  return db
    .selectFrom('sandbox_trades')
    .selectAll()
    .where('out_trade_no', '>=', `${orderId}00`)
    .where('out_trade_no', '<=', `${orderId}99`)
    .orderBy('out_trade_no', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function setSandboxTradeStatus(db: Db, tradeNo: string, status: string, now: number): Promise<void> {
  await setStatus.execute(db, [status, now, tradeNo]);
}

/**
 * Moves a trade still waiting for the buyer to `status`, with `detail` (JSON, or null): the
 * trade as it now is, or undefined when it was not waiting (or does not exist).
 */
export async function settleOpenSandboxTrade(
  db: Db,
  tradeNo: string,
  status: string,
  now: number,
  detail: string | null = null,
): Promise<SandboxTradeRecord | undefined> {
  if (sharesRoundTrips(db)) return settleBatcher(db).add({ tradeNo, status, now, detail });
  return settleOpen.first(db, [status, now, tradeNo, detail]);
}

/** Closes the attempt's trade if it is still waiting for the buyer; a paid or closed trade stays as it is. */
export async function closeOpenSandboxTrade(db: Db, outTradeNo: string, now: number): Promise<void> {
  await db
    .updateTable('sandbox_trades')
    .set({ status: 'TRADE_CLOSED', updated_at: now })
    .where('out_trade_no', '=', outTradeNo)
    .where('status', '=', 'WAIT_BUYER_PAY')
    .execute();
}
