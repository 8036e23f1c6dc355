import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_MINOR, formatAmount, formatDisplayAmount, isCurrency, parseAmount } from '../../src/domain/money.js';

function minorOf(input: unknown): number {
  const result = parseAmount(input);
  assert.ok(result.ok, `expected ${JSON.stringify(input)} to be accepted`);
  return result.minor;
}

function assertRejected(input: unknown): void {
  const result = parseAmount(input);
  assert.equal(result.ok, false, `expected ${String(input)} to be rejected`);
}

describe('parseAmount accepts', () => {
  const accepted: ReadonlyArray<[unknown, number]> = [
    ['120.00', 12000],
    ['0.01', 1],
    ['12.3400', 1234],
    ['12.30', 1230],
    ['12.3', 1230],
    ['120', 12000],
    ['120.000000', 12000],
    [120, 12000],
    [0.5, 50],
    [0.01, 1],
    [12.34, 1234],
    ['1000000000.00', 100000000000],
  ];
  for (const [input, minor] of accepted) {
    test(`${typeof input} ${JSON.stringify(input)} as ${minor} minor units`, () => {
      assert.equal(minorOf(input), minor);
    });
  }

  test('exactly MAX_MINOR', () => {
    assert.equal(minorOf(formatAmount(MAX_MINOR)), MAX_MINOR);
  });
});

describe('parseAmount rejects', () => {
  const rejected: ReadonlyArray<[string, unknown]> = [
    ['a negative string', '-1.00'],
    ['a negative cent', '-0.01'],
    ['a negative number', -5],
    ['zero as a number', 0],
    ['negative zero', -0],
    ['zero as a string', '0'],
    ['"0.00"', '0.00'],
    ['an exponent string', '1e3'],
    ['a number printed with an exponent (1e21)', 1e21],
    ['a tiny number printed with an exponent (1e-7)', 1e-7],
    ['three significant decimals as a string', '12.345'],
    ['three significant decimals as a number', 12.345],
    ['a fraction of a cent', '0.001'],
    ['letters', 'abc'],
    ['the empty string', ''],
    ['a leading space', ' 1'],
    ['a trailing space', '1 '],
    ['a plus sign', '+1'],
    ['a trailing dot', '1.'],
    ['a leading dot', '.5'],
    ['a comma separator', '1,00'],
    ['hex', '0x10'],
    ['two dots', '1.2.3'],
    ['full-width digits', '\uff11\uff12'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['the string NaN', 'NaN'],
    ['true', true],
    ['false', false],
    ['null', null],
    ['undefined', undefined],
    ['an object', { amount: '1.00' }],
    ['an array', ['1.00']],
    ['a bigint', 100n],
    ['one cent above MAX_MINOR', '100000000000.01'],
    ['a 15-digit whole part', '123456789012345'],
    ['a huge number', 1e20],
  ];
  for (const [name, input] of rejected) {
    test(name, () => assertRejected(input));
  }

  test('every rejection carries a reason', () => {
    const result = parseAmount('abc');
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.reason.length > 0);
  });
});

describe('formatAmount', () => {
  const cases: ReadonlyArray<[number, string]> = [
    [12000, '120.00'],
    [5, '0.05'],
    [0, '0.00'],
    [10, '0.10'],
    [99, '0.99'],
    [100, '1.00'],
    [1234, '12.34'],
    [MAX_MINOR, '100000000000.00'],
  ];
  for (const [minor, text] of cases) {
    test(`formats ${minor} as ${text}`, () => {
      assert.equal(formatAmount(minor), text);
    });
  }

  for (const bad of [1.5, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
    test(`throws on ${bad}`, () => {
      assert.throws(() => formatAmount(bad), RangeError);
    });
  }
});

describe('isCurrency', () => {
  test('accepts ISO 4217 codes with two decimal places', () => {
    for (const good of ['NZD', 'AUD', 'CNY', 'USD', 'EUR', 'GBP', 'HKD', 'SGD', 'CAD']) assert.equal(isCurrency(good), true, good);
  });

  test('refuses unknown codes, codes with other decimals, and anything not a code', () => {
    for (const bad of ['XYZ', 'JPY', 'KRW', 'KWD', 'BHD', 'XAU', 'nzd', 'NZ', 'NZDD', 'N1D', '']) assert.equal(isCurrency(bad), false, bad);
  });
});

describe('money properties', () => {
  const minor = fc.integer({ min: 1, max: MAX_MINOR });

  test('parseAmount(formatAmount(m)) gives back m for every amount in range', () => {
    fc.assert(
      fc.property(minor, (m) => {
        const result = parseAmount(formatAmount(m));
        assert.deepEqual(result, { ok: true, minor: m });
      }),
    );
  });

  test('formatAmount always has exactly two decimals', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_MINOR }), (m) => {
        assert.match(formatAmount(m), /^(0|[1-9]\d*)\.\d{2}$/);
      }),
    );
  });

  test('a JSON number with at most two decimals parses to the same minor units', () => {
    fc.assert(
      fc.property(minor, (m) => {
        assert.deepEqual(parseAmount(Number(formatAmount(m))), { ok: true, minor: m });
      }),
    );
  });

  test('parseAmount never throws on strings, and accepted results are in range', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^-?\d{0,16}(\.\d{0,5})?$/)), (text) => {
        const result = parseAmount(text);
        if (result.ok) assert.ok(Number.isSafeInteger(result.minor) && result.minor >= 1 && result.minor <= MAX_MINOR);
      }),
    );
  });

  test('parseAmount never throws on arbitrary values', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        parseAmount(value);
      }),
    );
  });
});

describe('formatDisplayAmount (the portal’s figures)', () => {
  test('groups thousands and signs money that went out', () => {
    assert.equal(formatDisplayAmount(0), '0.00');
    assert.equal(formatDisplayAmount(5), '0.05');
    assert.equal(formatDisplayAmount(99_999), '999.99');
    assert.equal(formatDisplayAmount(123_456), '1,234.56');
    assert.equal(formatDisplayAmount(-123_456), '-1,234.56');
    assert.equal(formatDisplayAmount(100_000_000_00), '100,000,000.00');
  });

  test('without its commas and sign it is the wire amount', () => {
    fc.assert(
      fc.property(fc.integer({ min: -MAX_MINOR, max: MAX_MINOR }), (m) => {
        const shown = formatDisplayAmount(m);
        assert.equal(shown.startsWith('-'), m < 0);
        assert.equal(shown.replace(/[-,]/g, ''), formatAmount(Math.abs(m)));
      }),
    );
  });
});
