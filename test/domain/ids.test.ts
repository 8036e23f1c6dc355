import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateNonce, generateRefundId, MAX_ORDER_NUMBER, orderIdFor, orderIdLowerBound, randomDigits } from '../../src/domain/ids.js';

test('an order id is the wire-zone date, then the order number in 11 digits: 19 digits, within a BIGINT', () => {
  // 2026-11-26 16:00:00.123 UTC is 2026-11-27 00:00:00.123 at +08:00.
  const id = orderIdFor(42, new Date(Date.UTC(2026, 10, 26, 16, 0, 0, 123)), 480);
  assert.equal(id, '2026112700000000042');
  const largest = orderIdFor(MAX_ORDER_NUMBER, new Date(Date.UTC(2999, 11, 31)), 0);
  assert.equal(largest, '2999123199999999999');
  assert.ok(BigInt(largest) <= 2n ** 63n - 1n, 'fits a signed 64-bit integer');
  assert.ok(largest.length <= 20, 'fits a VARCHAR(20)');
});

test('an order number that does not fit 11 digits is refused, not wrapped', () => {
  const day = new Date(Date.UTC(2026, 0, 1));
  for (const n of [0, -1, 1.5, MAX_ORDER_NUMBER + 1]) assert.throws(() => orderIdFor(n, day, 0), RangeError, String(n));
});

test('orders since a time are at or above the id of that day', () => {
  const t = Date.UTC(2026, 10, 26, 23, 59, 59, 999);
  assert.equal(orderIdLowerBound(t, 0), '20261126');
  assert.equal(orderIdLowerBound(t, 60), '20261127');
  assert.ok(orderIdFor(1, new Date(t), 0) >= orderIdLowerBound(t, 0));
  assert.ok(orderIdFor(1, new Date(t - 86_400_000), 0) < orderIdLowerBound(t, 0));
});

test('a refund id is R, the wire-zone time to the millisecond, then 13 random digits; 10,000 are distinct', () => {
  const t = new Date(Date.UTC(2026, 10, 26, 16, 0, 0, 123));
  assert.match(generateRefundId(t, 480), /^R20261127000000123\d{13}$/);
  assert.ok(generateRefundId(new Date(t.getTime() + 1), 0) > generateRefundId(t, 0));
  assert.equal(new Set(Array.from({ length: 10_000 }, () => generateRefundId(t, 0))).size, 10_000);
});

test('a nonce is 64 lowercase hex, starts with the time, and is otherwise random', () => {
  const a = generateNonce(1_000_000);
  const b = generateNonce(1_000_000);
  assert.match(a, /^[0-9a-f]{64}$/);
  assert.equal(a.slice(0, 12), (1_000_000).toString(16).padStart(12, '0'));
  assert.notEqual(a, b);
  assert.ok(generateNonce(2_000_000) > generateNonce(1_000_000));
});

test('random digits are uniform: each of 0-9 is about a tenth of 1,000,000', () => {
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < 100_000; i++) for (const d of randomDigits(10)) counts[Number(d)]++;
  assert.equal(counts.reduce((a, b) => a + b, 0), 1_000_000);
  // Within 5 standard deviations (300 each). A byte taken modulo 10 without rejection
  // would give each of 6-9 about 2,300 too few.
  for (const count of counts) assert.ok(Math.abs(count - 100_000) < 1_500, `counts ${counts.join(',')}`);
});
