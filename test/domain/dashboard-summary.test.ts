import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatSuccessRate, successRate, summariseDashboard, type OrderDayTotal } from '../../src/domain/dashboard-summary.js';

const TODAY = 20_000;
const row = (o: Partial<OrderDayTotal>): OrderDayTotal => ({
  day: TODAY,
  walletId: 'W1',
  currency: 'NZD',
  method: 'alipay',
  status: 'paid',
  orders: 1,
  amountMinor: 100,
  ...o,
});

describe('summariseDashboard', () => {
  test('sums paid volume, payments and finished orders per method, today and over the period', () => {
    const [nzd] = summariseDashboard(
      [
        row({ status: 'paid', orders: 3, amountMinor: 3000 }),
        row({ status: 'failed', orders: 1, amountMinor: 999 }),
        row({ day: TODAY - 5, status: 'paid', orders: 2, amountMinor: 5000 }),
        row({ day: TODAY - 5, status: 'canceled', orders: 2, amountMinor: 700 }),
        row({ method: 'wechat', day: TODAY - 1, status: 'rejected', orders: 1, amountMinor: 50 }),
      ],
      TODAY,
      30,
    );
    assert.equal(nzd.currency, 'NZD');
    assert.deepEqual(nzd.period.methods, [
      { method: 'alipay', volumeMinor: 8000, payments: 5, finished: 8 },
      { method: 'wechat', volumeMinor: 0, payments: 0, finished: 1 },
    ]);
    assert.deepEqual(nzd.period.total, { volumeMinor: 8000, payments: 5, finished: 9 });
    // Today lists the period's methods in the same order, with zeros where nothing happened.
    assert.deepEqual(nzd.today.methods, [
      { method: 'alipay', volumeMinor: 3000, payments: 3, finished: 4 },
      { method: 'wechat', volumeMinor: 0, payments: 0, finished: 0 },
    ]);
    assert.equal(nzd.daily.length, 30);
    assert.deepEqual(nzd.daily[0], { day: TODAY - 29, volumeMinor: 0, payments: 0, finished: 0 });
    assert.deepEqual(nzd.daily[24], { day: TODAY - 5, volumeMinor: 5000, payments: 2, finished: 4 });
    assert.deepEqual(nzd.daily[29], { day: TODAY, volumeMinor: 3000, payments: 3, finished: 4 });
  });

  test('never adds amounts of different currencies; currencies come sorted by code', () => {
    const out = summariseDashboard([row({ currency: 'NZD', amountMinor: 100 }), row({ currency: 'AUD', walletId: 'W2', amountMinor: 7 }), row({ currency: 'NZD', walletId: 'W3', amountMinor: 1 })], TODAY, 30);
    assert.deepEqual(out.map((c) => [c.currency, c.period.total.volumeMinor]), [['AUD', 7], ['NZD', 101]]);
  });

  test('ignores days outside the period, and answers nothing for no rows', () => {
    assert.deepEqual(summariseDashboard([row({ day: TODAY - 30 }), row({ day: TODAY + 1 })], TODAY, 30), []);
    assert.deepEqual(summariseDashboard([], TODAY, 30), []);
  });
});

describe('success rate', () => {
  test('is paid ÷ finished to a tenth of a percent, and a dash when nothing finished', () => {
    assert.equal(successRate({ payments: 2, finished: 3 }), 667);
    assert.equal(formatSuccessRate({ payments: 2, finished: 3 }), '66.7%');
    assert.equal(formatSuccessRate({ payments: 3, finished: 3 }), '100.0%');
    assert.equal(formatSuccessRate({ payments: 0, finished: 4 }), '0.0%');
    assert.equal(successRate({ payments: 0, finished: 0 }), undefined);
    assert.equal(formatSuccessRate({ payments: 0, finished: 0 }), '–');
  });
});
