import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { FIRST_RETRY_MS, RETRY_JITTER, retryDelayMs } from '../../src/notify/retry-schedule.js';

const attempts = fc.integer({ min: 1, max: 10_000 });
// NOTIFY_RETRY_SECONDS is 1 s to a day.
const cap = fc.integer({ min: 1, max: 86_400 }).map((s) => s * 1000);
const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

describe('retryDelayMs (the callback retry schedule)', () => {
  test('without jitter: 1 s, 2 s, 4 s, … doubling, then the 30 s cap', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 100].map((n) => retryDelayMs(n, 30_000, 0)),
      [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000],
    );
  });

  test('never above the cap, never below 1 s (or the cap when it is smaller)', () => {
    fc.assert(
      fc.property(attempts, cap, random, (n, capMs, r) => {
        const delay = retryDelayMs(n, capMs, r);
        assert.ok(delay <= capMs, `${delay} > cap ${capMs}`);
        assert.ok(delay >= Math.min(FIRST_RETRY_MS, capMs), `${delay} below the floor`);
        assert.ok(Number.isInteger(delay));
      }),
    );
  });

  test('grows with the attempt count: for the same draw, a later retry never waits less', () => {
    fc.assert(
      fc.property(attempts, cap, random, (n, capMs, r) => {
        assert.ok(retryDelayMs(n + 1, capMs, r) >= retryDelayMs(n, capMs, r));
      }),
    );
  });

  test('below the cap, every retry waits longer than the one before could have, whatever the draws', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), cap, random, random, (n, capMs, r1, r2) => {
        fc.pre(FIRST_RETRY_MS * 2 ** n <= capMs);
        assert.ok(retryDelayMs(n + 1, capMs, r1) > retryDelayMs(n, capMs, r2));
      }),
    );
  });

  test('at the cap the wait is spread over the jitter band, so retries that failed together drift apart', () => {
    fc.assert(
      fc.property(fc.integer({ min: 40, max: 10_000 }), fc.integer({ min: 10, max: 86_400 }).map((s) => s * 1000), random, (n, capMs, r) => {
        const delay = retryDelayMs(n, capMs, r);
        assert.ok(delay >= Math.floor(capMs * (1 - RETRY_JITTER)) && delay <= capMs);
      }),
    );
    const spread = new Set([0, 0.25, 0.5, 0.75, 0.99].map((r) => retryDelayMs(50, 30_000, r)));
    assert.equal(spread.size, 5);
  });

  test('a cap of 1 s retries every second exactly', () => {
    fc.assert(fc.property(attempts, random, (n, r) => assert.equal(retryDelayMs(n, 1_000, r), 1_000)));
  });
});
