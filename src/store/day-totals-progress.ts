import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Db } from './store.js';

/** How far one kind of day totals has been added up, and the offset its days were cut in. */
export interface DayTotalsProgress {
  boundary: number;
  offsetMinutes: number;
}

export async function readDayTotalsProgress(db: Db, scope: string): Promise<DayTotalsProgress | undefined> {
  const row = await db.selectFrom('day_totals_progress').select(['boundary', 'offset_minutes']).where('scope', '=', scope).executeTakeFirst();
  return row ? { boundary: Number(row.boundary), offsetMinutes: Number(row.offset_minutes) } : undefined;
}

/**
 * Moves `scope` from `from` (undefined: nothing recorded yet) to `to`, unless another
 * process moved it first; answers whether it moved. Run in the transaction that adds the
 * totals, so that only one process adds a given slice: on PostgreSQL the second waits for
 * the first's row lock and then finds the row changed.
 */
export async function moveDayTotalsProgress(trx: Db, scope: string, from: DayTotalsProgress | undefined, to: DayTotalsProgress): Promise<boolean> {
  if (from === undefined) {
    const [result] = await trx
      .insertInto('day_totals_progress')
      .values({ scope, boundary: to.boundary, offset_minutes: to.offsetMinutes })
      .onConflict((oc) => oc.column('scope').doNothing())
      .execute();
    return Number(result?.numInsertedOrUpdatedRows ?? 0) === 1;
  }
  const result = await trx
    .updateTable('day_totals_progress')
    .set({ boundary: to.boundary, offset_minutes: to.offsetMinutes })
    .where('scope', '=', scope)
    .where('boundary', '=', from.boundary)
    .where('offset_minutes', '=', from.offsetMinutes)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Where a kind of day totals comes from: its rows in [from, to) of the time they are ordered by. */
export interface DayTotalsSource<Row> {
  readonly scope: string;
  /** The earliest time ≥ `from` of a source row, or undefined when there is none (one index lookup). */
  findFirst(db: Db, from: number): Promise<number | undefined>;
  /** The totals of the source rows in [from, to), and how many source rows they sum. */
  sum(db: Db, from: number, to: number): Promise<{ rows: Row[]; sourceRows: number }>;
  /** Adds totals to those kept. */
  add(trx: Db, rows: Row[]): Promise<void>;
  /** Forgets every total kept (the offset changed). */
  clear(trx: Db): Promise<void>;
}

const MINUTE = 60_000;
const FIRST_STEP_MS = 60 * MINUTE;
const LONGEST_STEP_MS = 32 * 24 * 60 * MINUTE;
/** A step that summed more rows than this halves the next; one with fewer than a fifth of it doubles it. */
const ROWS_PER_STEP = 20_000;
const MOST_STEPS = 10_000;

/**
 * Adds a source's rows before `target` to its totals, a slice at a time: each slice is read
 * outside any transaction (the rows summed no longer change), then added with the progress
 * moved in one short transaction. Slices adapt their length so each sums at most some tens
 * of thousands of rows, empty stretches are skipped by one index lookup, and the event loop
 * gets a turn between slices (on SQLite a statement blocks it): a first catch-up on a large
 * history delays nothing else for long.
 */
export async function catchUpDayTotals<Row>(db: Db, source: DayTotalsSource<Row>, target: number, offsetMinutes: number): Promise<void> {
  let step = FIRST_STEP_MS;
  for (let i = 0; i < MOST_STEPS; i++) {
    const progress = await readDayTotalsProgress(db, source.scope);
    if (progress !== undefined && progress.offsetMinutes !== offsetMinutes) {
      // Days cut in another offset: start over in this one.
      await db.transaction().execute(async (trx) => {
        if (await moveDayTotalsProgress(trx, source.scope, progress, { boundary: 0, offsetMinutes })) await source.clear(trx);
      });
      continue;
    }
    const from = progress?.boundary ?? 0;
    if (from >= target) return;
    const first = await source.findFirst(db, from);
    const to = first === undefined || first >= target ? target : Math.min(target, first + step);
    const { rows, sourceRows } = first === undefined || first >= target ? { rows: [], sourceRows: 0 } : await source.sum(db, from, to);
    await db.transaction().execute(async (trx) => {
      if (await moveDayTotalsProgress(trx, source.scope, progress, { boundary: to, offsetMinutes })) await source.add(trx, rows);
    });
    if (sourceRows > ROWS_PER_STEP) step = Math.max(MINUTE, Math.floor(step / 2));
    else if (sourceRows < ROWS_PER_STEP / 5) step = Math.min(LONGEST_STEP_MS, step * 2);
    await nextTurn();
  }
}

/**
 * Reads what a kind of day totals holds together with its progress, as of one moment: the
 * totals and the boundary change together (one transaction), so a read between two equal
 * readings of the progress saw the totals of that boundary. Totals cut in another offset
 * count as none (boundary 0: everything is read live).
 */
export async function readWithProgress<T>(db: Db, scope: string, offsetMinutes: number, read: () => Promise<T>, none: T): Promise<{ boundary: number; totals: T }> {
  for (;;) {
    const before = await readDayTotalsProgress(db, scope);
    if (before === undefined || before.offsetMinutes !== offsetMinutes) return { boundary: 0, totals: none };
    const totals = await read();
    const after = await readDayTotalsProgress(db, scope);
    if (after !== undefined && after.boundary === before.boundary && after.offsetMinutes === before.offsetMinutes) return { boundary: before.boundary, totals };
  }
}
