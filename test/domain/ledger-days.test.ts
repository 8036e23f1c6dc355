import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { summariseLedgerDays } from '../../src/domain/ledger-days.js';

describe('summariseLedgerDays', () => {
  test('payments, refunds (less failed ones, with reversals), net and the running balance, oldest day first', () => {
    const statement = summariseLedgerDays(
      [
        { day: 12, kind: 'payment', entries: 2, amountMinor: 5000 },
        { day: 10, kind: 'payment', entries: 1, amountMinor: 1000 },
        { day: 12, kind: 'refund', entries: 2, amountMinor: -1500 },
        { day: 12, kind: 'refund_failed', entries: 1, amountMinor: 500 },
        { day: 13, kind: 'reversal', entries: 1, amountMinor: -200 },
        { day: 9, kind: 'payment', entries: 1, amountMinor: 999_999 },
        { day: 14, kind: 'payment', entries: 1, amountMinor: 999_999 },
      ],
      700,
      10,
      13,
    );
    assert.deepEqual(statement.days, [
      { day: 10, paymentsMinor: 1000, refundsMinor: 0, netMinor: 1000, balanceMinor: 1700, entries: 1 },
      { day: 12, paymentsMinor: 5000, refundsMinor: -1000, netMinor: 4000, balanceMinor: 5700, entries: 5 },
      { day: 13, paymentsMinor: 0, refundsMinor: -200, netMinor: -200, balanceMinor: 5500, entries: 1 },
    ]);
    assert.equal(statement.openingMinor, 700);
    assert.equal(statement.paymentsMinor, 6000);
    assert.equal(statement.refundsMinor, -1200);
    assert.equal(statement.netMinor, 4800);
    assert.equal(statement.closingMinor, 5500);
  });

  test('a range without entries keeps the opening balance', () => {
    assert.deepEqual(summariseLedgerDays([], 42, 1, 5), { openingMinor: 42, days: [], paymentsMinor: 0, refundsMinor: 0, netMinor: 0, closingMinor: 42 });
  });
});
