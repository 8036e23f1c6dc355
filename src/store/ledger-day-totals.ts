import { sql } from 'kysely';
import { DAY_MS, startOfDay } from '../domain/calendar-day.js';
import type { LedgerDayTotal } from '../domain/ledger-days.js';
import { catchUpDayTotals, readWithProgress, type DayTotalsSource } from './day-totals-progress.js';
import type { Db } from './store.js';

/**
 * How far behind the clock a wallet's totals stay: a ledger entry is written with the time
 * of its transaction, which commits at once (nothing waits on the network inside it), so
 * every entry older than this is visible, even from an instance whose clock runs behind.
 */
const BOUNDARY_LAG_MS = 10 * 60_000;

/**
 * A wallet's ledger by day and kind, for the balance page, without reading the wallet's
 * whole history on each visit and without a write on the settle or refund path.
 *
 * Ledger entries are never updated or deleted, so the entries of a wallet before a boundary
 * are added to `ledger_day_totals` once, a slice at a time as the boundary follows the
 * clock (each slice a range of ledger_wallet_created_idx). A read is the totals below the
 * boundary plus the wallet's entries from it on, summed live: those of the last minutes.
 */
export class LedgerDayTotals {
  readonly #db: Db;
  readonly #offsetMinutes: number;
  readonly #catchingUp = new Map<string, Promise<void>>();

  constructor(db: Db, offsetMinutes: number) {
    this.#db = db;
    this.#offsetMinutes = offsetMinutes;
  }

  /** Adds the wallet's entries older than the boundary lag (one catch-up per wallet at a time in this process). */
  catchUp(walletId: string, now: number): Promise<void> {
    const pending = this.#catchingUp.get(walletId);
    if (pending) return pending;
    const running = catchUpDayTotals(this.#db, ledgerSource(walletId, this.#offsetMinutes), now - BOUNDARY_LAG_MS, this.#offsetMinutes);
    this.#catchingUp.set(walletId, running);
    const forget = () => {
      if (this.#catchingUp.get(walletId) === running) this.#catchingUp.delete(walletId);
    };
    running.then(forget, forget);
    return running;
  }

  /**
   * The wallet's ledger on fromDay..toDay (days in the offset) by day and kind, and its
   * balance before fromDay (every entry before that day, summed).
   */
  async read(walletId: string, fromDay: number, toDay: number, now: number): Promise<{ openingMinor: number; rows: LedgerDayTotal[] }> {
    await this.catchUp(walletId, now);
    const db = this.#db;
    const { boundary, totals } = await readWithProgress(
      db,
      scopeOf(walletId),
      this.#offsetMinutes,
      async () => {
        const rows = await db
          .selectFrom('ledger_day_totals')
          .select(['day', 'kind', 'entries', 'amount_minor'])
          .where('wallet_id', '=', walletId)
          .where('day', '>=', fromDay)
          .where('day', '<=', toDay)
          .execute();
        const before = await db
          .selectFrom('ledger_day_totals')
          .select((eb) => eb.fn.sum<number | string>('amount_minor').as('sum'))
          .where('wallet_id', '=', walletId)
          .where('day', '<', fromDay)
          .executeTakeFirst();
        return { rows, before: Number(before?.sum ?? 0) };
      },
      { rows: [], before: 0 },
    );
    const live = await sumEntries(db, walletId, this.#offsetMinutes, boundary, startOfDay(toDay + 1, this.#offsetMinutes));
    let openingMinor = totals.before;
    const merged = new Map<string, LedgerDayTotal>();
    const all = [...totals.rows.map((r) => ({ day: Number(r.day), kind: r.kind, entries: Number(r.entries), amountMinor: Number(r.amount_minor) })), ...live.rows];
    for (const row of all) {
      if (row.day < fromDay) {
        openingMinor += row.amountMinor;
        continue;
      }
      const key = `${row.day} ${row.kind}`;
      const seen = merged.get(key);
      if (seen) {
        seen.entries += row.entries;
        seen.amountMinor += row.amountMinor;
      } else {
        merged.set(key, { ...row });
      }
    }
    return { openingMinor, rows: [...merged.values()] };
  }
}

const scopeOf = (walletId: string) => `ledger:${walletId}`;

function ledgerSource(walletId: string, offsetMinutes: number): DayTotalsSource<LedgerDayTotal> {
  return {
    scope: scopeOf(walletId),
    async findFirst(db, from) {
      const row = await db
        .selectFrom('ledger_entries')
        .select((eb) => eb.fn.min('created_at').as('first'))
        .where('wallet_id', '=', walletId)
        .where('created_at', '>=', from)
        .executeTakeFirst();
      return row?.first == null ? undefined : Number(row.first);
    },
    sum: (db, from, to) => sumEntries(db, walletId, offsetMinutes, from, to),
    async add(trx, rows) {
      for (let i = 0; i < rows.length; i += 500) {
        await trx
          .insertInto('ledger_day_totals')
          .values(rows.slice(i, i + 500).map((r) => ({ wallet_id: walletId, day: r.day, kind: r.kind, entries: r.entries, amount_minor: r.amountMinor })))
          .onConflict((oc) =>
            oc.columns(['wallet_id', 'day', 'kind']).doUpdateSet({
              entries: sql`ledger_day_totals.entries + excluded.entries`,
              amount_minor: sql`ledger_day_totals.amount_minor + excluded.amount_minor`,
            }),
          )
          .execute();
      }
    },
    async clear(trx) {
      await trx.deleteFrom('ledger_day_totals').where('wallet_id', '=', walletId).execute();
    },
  };
}

/** The wallet's entries with from ≤ created_at < to, by day and kind: one range of ledger_wallet_created_idx. */
async function sumEntries(db: Db, walletId: string, offsetMinutes: number, from: number, to: number): Promise<{ rows: LedgerDayTotal[]; sourceRows: number }> {
  // Literals, not parameters: PostgreSQL must see the same expression in SELECT and GROUP BY.
  const day = sql<number>`(created_at + ${sql.lit(Math.trunc(offsetMinutes) * 60_000)}) / ${sql.lit(DAY_MS)}`;
  const found = await db
    .selectFrom('ledger_entries')
    .select((eb) => [day.as('day'), 'kind', eb.fn.countAll<number | string>().as('entries'), eb.fn.sum<number | string>('amount_minor').as('amount')])
    .where('wallet_id', '=', walletId)
    .where('created_at', '>=', from)
    .where('created_at', '<', to)
    .groupBy([day, 'kind'])
    .execute();
  let sourceRows = 0;
  const rows = found.map((r) => {
    sourceRows += Number(r.entries);
    return { day: Number(r.day), kind: r.kind, entries: Number(r.entries), amountMinor: Number(r.amount) };
  });
  return { rows, sourceRows };
}
