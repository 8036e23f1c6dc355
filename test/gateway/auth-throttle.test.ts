import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { AuthThrottle } from '../../src/gateway/auth-throttle.js';
import { openStore, type Store } from '../../src/store/store.js';
import { createTestDatabase, TEST_DIALECT, type TestDatabase } from '../helpers/database.js';

const log = pino({ level: 'silent' });
const LIMITS = { failuresPerAddress: 3, failuresPerUser: 100, windowSeconds: 60, blockSeconds: 30, log };

describe('AuthThrottle', () => {
  let database: TestDatabase;
  let store: Store;
  before(async () => {
    database = await createTestDatabase();
    store = await openStore(database.url);
  });
  after(async () => {
    await store.close();
    await database.cleanup();
  });

  /** A throttle counting where the gateway would: PostgreSQL's table when it runs on PostgreSQL. */
  const throttle = () => new AuthThrottle({ ...LIMITS, pool: store.parts.pool });

  test('an address failing for many user_ids is refused whole, past ten times the per-pair limit', async () => {
    const t = throttle();
    const address = '198.51.100.1';
    let refusedAt = -1;
    for (let i = 0; i < 31 && refusedAt < 0; i++) {
      // Each user_id fails twice: never over the pair limit of 3.
      for (const user of [`U-a-${i}`, `U-a-${i}`]) {
        if ((await t.failed(address, user)) > 0 && refusedAt < 0) refusedAt = i;
      }
    }
    assert.equal(refusedAt, 15, 'the 31st failure is over 30');
    assert.ok(t.refusedFor(address, 'U-someone-new') > 0, 'every user_id from that address is refused');
    assert.equal(t.refusedFor('198.51.100.2', 'U-a-1'), 0, 'another address is not');
  });

  test('a refusal lasts the block duration and then ends', async () => {
    const t = throttle();
    const now = Date.now();
    for (let i = 0; i < 4; i++) await t.failed('198.51.100.3', 'U1', now);
    const left = t.refusedFor('198.51.100.3', 'U1', now);
    assert.ok(left > 25_000 && left <= 30_000, `refused for ${left} ms`);
    assert.equal(t.refusedFor('198.51.100.3', 'U1', now + 31_000), 0);
  });

  test(
    TEST_DIALECT === 'postgres'
      ? 'on PostgreSQL two instances add to the same counts'
      : 'on SQLite each process counts its own failures (one process serves a SQLite database)',
    async () => {
      const [a, b] = [throttle(), throttle()];
      const results: number[] = [];
      for (const t of [a, b, a, b]) results.push(await t.failed('198.51.100.4', 'U-shared'));
      if (TEST_DIALECT === 'postgres') {
        assert.deepEqual(results.map((ms) => ms > 0), [false, false, false, true], 'the fourth failure overall is over the limit of 3');
        assert.ok(b.refusedFor('198.51.100.4', 'U-shared') > 0);
      } else {
        assert.deepEqual(results.map((ms) => ms > 0), [false, false, false, false]);
      }
    },
  );
});
