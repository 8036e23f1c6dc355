import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { convertMinor, parseRate } from '../../src/domain/fx.js';

describe('convertMinor', () => {
  test('converts at the rate and rounds half up to the minor unit', () => {
    assert.equal(convertMinor(12_000, '4.6449'), 55_739); // 55,738.8
    assert.equal(convertMinor(1, '0.5'), 1);
    assert.equal(convertMinor(1, '0.49999999'), 0);
    assert.equal(convertMinor(3, '0.16666667'), 1); // 0.50000001
    assert.equal(convertMinor(0, '4.6449'), 0);
    assert.equal(convertMinor(1_000_000_000, '999999.99999999'), 999_999_999_999_990);
  });

  test('the same rate written differently converts the same', () => {
    assert.equal(convertMinor(12_345, '4.64490000'), convertMinor(12_345, '4.6449'));
    assert.equal(convertMinor(12_345, '04.6449'), convertMinor(12_345, '4.6449'));
  });

  test('an invalid rate is refused every time, not remembered', () => {
    for (let i = 0; i < 2; i++) {
      assert.throws(() => convertMinor(100, '0'), RangeError);
      assert.throws(() => convertMinor(100, 'abc'), RangeError);
      assert.throws(() => convertMinor(100, '-1.5'), RangeError);
    }
  });

  test('many different rates, each asked twice, all convert exactly (past the memo bound)', () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 1; i <= 600; i++) {
        const rate = `${i}.${String(i * 7919).padStart(8, '0').slice(-8)}`;
        const parsed = parseRate(rate);
        assert.ok(parsed.ok);
        const expected = Number((123_457n * parsed.scaled + 50_000_000n) / 100_000_000n);
        assert.equal(convertMinor(123_457, rate), expected, rate);
      }
    }
  });
});
