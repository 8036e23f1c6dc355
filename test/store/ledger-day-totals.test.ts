import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { dayOf } from '../../src/domain/calendar-day.js';
import type { LedgerDayTotal } from '../../src/domain/ledger-days.js';
import { readDayTotalsProgress } from '../../src/store/day-totals-progress.js';
import { appendLedgerEntry, walletBalance } from '../../src/store/ledger.js';
import { LedgerDayTotals } from '../../src/store/ledger-day-totals.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const PLUS_EIGHT = 8 * 60;

describe('LedgerDayTotals (a wallet’s ledger by day, without reading its whole history each visit)', () => {
  let gw: TestGateway;
  beforeEach(async () => {
    gw = await createTestGateway();
  });
  afterEach(() => gw.close());

  const entry = (walletId: string, kind: string, amount: number, at: number) =>
    appendLedgerEntry(gw.store.db, { wallet_id: walletId, order_id: `o-${at}-${kind}`, refund_id: null, kind, amount_minor: amount, currency: 'NZD', created_at: at });

  async function readPlainly(walletId: string, fromDay: number, toDay: number): Promise<{ openingMinor: number; rows: LedgerDayTotal[] }> {
    const all = await gw.store.db.selectFrom('ledger_entries').selectAll().where('wallet_id', '=', walletId).execute();
    let openingMinor = 0;
    const out = new Map<string, LedgerDayTotal>();
    for (const e of all) {
      const day = dayOf(Number(e.created_at), PLUS_EIGHT);
      if (day < fromDay) openingMinor += Number(e.amount_minor);
      if (day < fromDay || day > toDay) continue;
      const seen = out.get(`${day} ${e.kind}`) ?? { day, kind: e.kind, entries: 0, amountMinor: 0 };
      seen.entries += 1;
      seen.amountMinor += Number(e.amount_minor);
      out.set(`${day} ${e.kind}`, seen);
    }
    return { openingMinor, rows: sorted([...out.values()]) };
  }
  const sorted = (rows: LedgerDayTotal[]) => [...rows].sort((a, b) => a.day - b.day || a.kind.localeCompare(b.kind));

  test('agrees with a plain sum of the entries, opening balance included, as entries arrive and time passes', async () => {
    const w = gw.merchant.wallet_id;
    const t0 = Date.UTC(2026, 10, 20, 4, 0, 0);
    for (let i = 0; i < 30; i++) await entry(w, i % 5 === 4 ? 'refund' : 'payment', i % 5 === 4 ? -(50 + i) : 1000 + i, t0 - i * 11 * HOUR);
    await entry(w, 'refund_failed', 53, t0 - 3 * DAY);
    await entry(w, 'payment', 9999, t0 - 2 * MINUTE);
    const totals = new LedgerDayTotals(gw.store.db, PLUS_EIGHT);
    const today = dayOf(t0, PLUS_EIGHT);
    const got = await totals.read(w, today - 6, today, t0);
    assert.deepEqual({ openingMinor: got.openingMinor, rows: sorted(got.rows) }, await readPlainly(w, today - 6, today));
    assert.ok((await readDayTotalsProgress(gw.store.db, `ledger:${w}`))!.boundary === t0 - 10 * MINUTE);

    await entry(w, 'reversal', -700, t0 + HOUR);
    const later = await totals.read(w, today - 3, today, t0 + 2 * HOUR);
    assert.deepEqual({ openingMinor: later.openingMinor, rows: sorted(later.rows) }, await readPlainly(w, today - 3, today));
    // The opening balance plus the range's entries is the wallet's balance.
    const all = await totals.read(w, today - 3, today + 1, t0 + 2 * HOUR);
    assert.equal(all.openingMinor + all.rows.reduce((s, r) => s + r.amountMinor, 0), await walletBalance(gw.store.db, w));
  });

  test('what is below the boundary is read from the totals, not from the entries again', async () => {
    const w = gw.merchant.wallet_id;
    const t0 = Date.UTC(2026, 10, 20, 4, 0, 0);
    await entry(w, 'payment', 1000, t0 - 2 * DAY);
    const totals = new LedgerDayTotals(gw.store.db, PLUS_EIGHT);
    const day = dayOf(t0 - 2 * DAY, PLUS_EIGHT);
    assert.deepEqual((await totals.read(w, day, day, t0)).rows.map((r) => r.amountMinor), [1000]);
    await gw.store.db.updateTable('ledger_entries').set({ amount_minor: 1 }).where('wallet_id', '=', w).execute();
    assert.deepEqual((await totals.read(w, day, day, t0)).rows.map((r) => r.amountMinor), [1000]);
  });

  test('keeps wallets apart, and a wallet without entries has nothing', async () => {
    const other = await gw.addMerchant({ name: 'Other' });
    const t0 = Date.UTC(2026, 10, 20, 4, 0, 0);
    await entry(other.wallet_id, 'payment', 500, t0 - DAY);
    const totals = new LedgerDayTotals(gw.store.db, PLUS_EIGHT);
    const today = dayOf(t0, PLUS_EIGHT);
    assert.deepEqual(await totals.read(gw.merchant.wallet_id, today - 29, today, t0), { openingMinor: 0, rows: [] });
    assert.deepEqual((await totals.read(other.wallet_id, today - 29, today, t0)).rows.map((r) => r.amountMinor), [500]);
  });

  test('two processes catching up one wallet at once add each entry once', async () => {
    const w = gw.merchant.wallet_id;
    const t0 = Date.UTC(2026, 10, 20, 4, 0, 0);
    for (let i = 1; i <= 25; i++) await entry(w, 'payment', i, t0 - i * 9 * HOUR);
    const a = new LedgerDayTotals(gw.store.db, PLUS_EIGHT);
    const b = new LedgerDayTotals(gw.store.db, PLUS_EIGHT);
    await Promise.all([a.catchUp(w, t0), b.catchUp(w, t0), b.catchUp(w, t0)]);
    const stored = await gw.store.db.selectFrom('ledger_day_totals').select((eb) => [eb.fn.sum<number>('entries').as('n'), eb.fn.sum<number>('amount_minor').as('sum')]).executeTakeFirstOrThrow();
    assert.deepEqual([Number(stored.n), Number(stored.sum)], [25, (25 * 26) / 2]);
  });
});
