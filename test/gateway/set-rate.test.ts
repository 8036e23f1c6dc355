import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { RateInputError, setRate } from '../../src/gateway/fx-rates.js';
import { findRate, listRates } from '../../src/store/fx-rates.js';

describe('setRate (what `latipay rates set` stores)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(async () => {
    await gw.close();
  });

  test('stores the normalised rate and the time, replacing the previous one', async () => {
    const at = Date.parse('2026-04-01T00:00:00Z');
    const stored = await setRate(gw.store.db, 'nzd', ' cny ', '004.64490', at);
    assert.deepEqual({ ...stored, updated_at: Number(stored.updated_at) }, { base: 'NZD', quote: 'CNY', rate: '4.6449', updated_at: at });
    await setRate(gw.store.db, 'NZD', 'CNY', '5', at + 1_000);
    const row = await findRate(gw.store.db, 'NZD', 'CNY');
    assert.equal(row?.rate, '5');
    assert.equal(Number(row?.updated_at), at + 1_000);
    assert.equal((await listRates(gw.store.db, 'NZD')).length, 1, 'one row per pair');
    assert.equal((await setRate(gw.store.db, 'SGD', 'CNY', '0.04812345', at)).rate, '0.04812345');
  });

  test('refuses anything but a positive decimal with at most 8 places, and two different 3-letter currencies', async () => {
    const before = JSON.stringify(await listRates(gw.store.db));
    const refused: Array<[string, string, string]> = [
      ['NZD', 'CNY', 'abc'],
      ['NZD', 'CNY', ''],
      ['NZD', 'CNY', '0'],
      ['NZD', 'CNY', '0.00000000'],
      ['NZD', 'CNY', '-4.6'],
      ['NZD', 'CNY', '1e3'],
      ['NZD', 'CNY', '4,6449'],
      ['NZD', 'CNY', '4.123456789'],
      ['NZD', 'CNY', 'Infinity'],
      ['NZD', 'CNY', '1234567.5'],
      ['NZD', 'NZD', '2'],
      ['NZ', 'CNY', '2'],
      ['NZD', 'CNYX', '2'],
      ['N1D', 'CNY', '2'],
    ];
    for (const [base, quote, rate] of refused) {
      await assert.rejects(setRate(gw.store.db, base, quote, rate, Date.now()), RateInputError, `${base} ${quote} ${rate}`);
    }
    assert.equal(JSON.stringify(await listRates(gw.store.db)), before);
  });
});
