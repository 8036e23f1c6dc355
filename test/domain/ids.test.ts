import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateNonce, generateOrderId, randomDigits } from '../../src/domain/ids.js';

test('an order id is the wire-zone date and time to the millisecond, then 13 random digits', () => {
  // 2026-11-26 16:00:00.123 UTC is 2026-11-27 00:00:00.123 at +08:00.
  const id = generateOrderId(new Date(Date.UTC(2026, 10, 26, 16, 0, 0, 123)), 480);
  assert.match(id, /^20261127000000123\d{13}$/);
});

test('order ids of later milliseconds sort after earlier ones, and 10,000 ids are distinct', () => {
  const t = Date.UTC(2026, 0, 1);
  assert.ok(generateOrderId(new Date(t + 1), 0) > generateOrderId(new Date(t), 0));
  const ids = new Set(Array.from({ length: 10_000 }, () => generateOrderId(new Date(t), 0)));
  assert.equal(ids.size, 10_000);
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

test('order ids in one millisecond share the date prefix, and differ in wire time zones', () => {
  const t = new Date(Date.UTC(2026, 10, 26, 23, 59, 59, 999));
  assert.equal(generateOrderId(t, 0).slice(0, 17), '20261126235959999');
  assert.equal(generateOrderId(t, 0).slice(0, 17), '20261126235959999');
  assert.equal(generateOrderId(t, 60).slice(0, 17), '20261127005959999');
});
