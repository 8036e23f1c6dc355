import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeCursor, encodeCursor, filterQuery, parseTransactionFilter } from '../../src/domain/transaction-filter.js';

const NZ = 12 * 60; // UTC+12:00
const day = (iso: string, offset: number) => Date.parse(`${iso}T00:00:00Z`) - offset * 60_000;

describe('parseTransactionFilter', () => {
  test('an empty query is no filter and no problem', () => {
    const parsed = parseTransactionFilter({}, NZ);
    assert.deepEqual(parsed.filter, {});
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(parsed.values, {});
  });

  test('every field read: status, method, wallet, days in the wire offset, amounts as minor units, the search trimmed', () => {
    const parsed = parseTransactionFilter(
      { status: 'paid', method: 'wechat', wallet: 'W000000042', from: '2026-03-01', to: '2026-03-31', min: '10', max: '250.5', q: '  coffee-17 ' },
      NZ,
    );
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(parsed.filter, {
      status: 'paid',
      method: 'wechat',
      walletId: 'W000000042',
      createdFrom: day('2026-03-01', NZ),
      // The end of the `to` day: the start of the next one.
      createdBefore: day('2026-04-01', NZ),
      minMinor: 1000,
      maxMinor: 25050,
      search: 'coffee-17',
    });
    assert.equal(parsed.values.q, 'coffee-17');
  });

  test('empty fields are no filter (a form posts every field)', () => {
    const parsed = parseTransactionFilter({ status: '', method: ' ', wallet: '', from: '', to: '', min: '', max: '', q: '' }, 0);
    assert.deepEqual(parsed.filter, {});
    assert.deepEqual(parsed.problems, []);
  });

  test('a minimum of zero is no lower bound; a maximum of zero matches nothing paid', () => {
    assert.deepEqual(parseTransactionFilter({ min: '0.00' }, 0).filter, {});
    assert.deepEqual(parseTransactionFilter({ max: '0' }, 0).filter, { maxMinor: 0 });
  });

  const problems: ReadonlyArray<[Record<string, string>, string[]]> = [
    [{ status: 'refunded' }, ['status']],
    [{ method: 'bitcoin' }, ['method']],
    [{ wallet: "W1' or 1=1" }, ['wallet']],
    [{ from: '2026-02-30' }, ['from']],
    [{ to: '31/03/2026' }, ['to']],
    [{ from: '2026-04-02', to: '2026-04-01' }, ['dates']],
    [{ min: '1e3' }, ['min']],
    [{ max: '10.505' }, ['max']],
    [{ max: '-5' }, ['max']],
    [{ min: '20', max: '10' }, ['amounts']],
    [{ q: 'x'.repeat(256) }, ['q']],
    [{ cursor: 'not a cursor!' }, ['cursor']],
    [{ status: 'nope', min: 'abc' }, ['status', 'min']],
  ];
  for (const [query, expected] of problems) {
    test(`${JSON.stringify(query).slice(0, 60)} is a problem with ${expected.join(', ')}, and not filtered on`, () => {
      const parsed = parseTransactionFilter(query, NZ);
      assert.deepEqual(parsed.problems, expected);
      assert.equal(parsed.filter.status, undefined);
      assert.equal(parsed.filter.minMinor, undefined);
      assert.equal(parsed.filter.createdFrom, undefined);
    });
  }

  test('a repeated field counts once (its first value)', () => {
    assert.deepEqual(parseTransactionFilter({ status: ['failed', 'paid'] }, 0).filter, { status: 'failed' });
  });

  test('amounts are never floats: any two-decimal amount reads back exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000_000 }), (minor) => {
        const text = `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
        assert.equal(parseTransactionFilter({ min: text }, 0).filter.minMinor, minor);
      }),
    );
  });
});

describe('cursors', () => {
  test('round trip, URL-safe', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.stringMatching(/^[0-9A-Za-z]{1,30}$/), (createdAt, orderId) => {
        const cursor = encodeCursor({ createdAt, orderId });
        assert.match(cursor, /^[A-Za-z0-9_-]+$/);
        assert.deepEqual(decodeCursor(cursor), { createdAt, orderId });
      }),
    );
  });

  test('anything else is no cursor', () => {
    for (const text of ['', '....', Buffer.from('12.').toString('base64url'), Buffer.from('x.9800').toString('base64url'), Buffer.from("1.a' or 1=1").toString('base64url')]) {
      assert.equal(decodeCursor(text), undefined, text);
    }
  });
});

test('filterQuery repeats the fields as given, in a fixed order, with extras', () => {
  assert.equal(filterQuery({ q: 'a b&c', status: 'paid' }, { cursor: 'xyz' }), 'status=paid&q=a+b%26c&cursor=xyz');
});
