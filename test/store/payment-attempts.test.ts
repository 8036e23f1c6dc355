import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { attemptIdOf, findLatestAttempt, insertAttempt, listAttemptsOfOrder, type NewAttempt } from '../../src/store/payment-attempts.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';

describe('payment attempts by order', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  const attempt = (orderId: string, seq: number): NewAttempt => ({
    attempt_id: attemptIdOf(orderId, seq),
    order_id: orderId,
    provider: 'sandbox',
    account_id: 'sandbox',
    method: 'alipay',
    flow: 'qr',
    status: 'pending',
    provider_payment_id: `T-${orderId}-${seq}`,
    next_action: null,
    amount_minor: 100,
    currency: 'NZD',
    created_at: 1,
  });

  // Three orders of which the short one's attempt range ("…2300" to "…2399") also holds a
  // longer id's attempt that starts with the same digits: ids have had more than one length.
  const short = '2026120100000000123';
  const long = `${short}00000000000`;
  const none = '2026120100000000999';

  test('the newest attempt and the list are each order\'s own, also when looked up in the same turn', async () => {
    for (const a of [attempt(short, 1), attempt(short, 2), attempt(long, 1), attempt(long, 3)]) assert.ok(await insertAttempt(gw.store.db, a));
    assert.ok(attemptIdOf(long, 1) > attemptIdOf(short, 0) && attemptIdOf(long, 1) < attemptIdOf(short, 99), 'the long id lies in the short id\'s range');
    const [latestShort, latestLong, latestNone] = await Promise.all([findLatestAttempt(gw.store.db, short), findLatestAttempt(gw.store.db, long), findLatestAttempt(gw.store.db, none)]);
    assert.equal(latestShort?.attempt_id, attemptIdOf(short, 2));
    assert.equal(latestLong?.attempt_id, attemptIdOf(long, 3));
    assert.equal(latestNone, undefined);
    assert.deepEqual((await listAttemptsOfOrder(gw.store.db, short)).map((a) => a.attempt_id), [attemptIdOf(short, 1), attemptIdOf(short, 2)]);
    assert.deepEqual((await listAttemptsOfOrder(gw.store.db, long)).map((a) => a.attempt_id), [attemptIdOf(long, 1), attemptIdOf(long, 3)]);
  });

  test('a second insert of the same attempt id answers undefined and keeps the first', async () => {
    const orderId = '2026120100000000555';
    const [first, second] = await Promise.all([insertAttempt(gw.store.db, attempt(orderId, 1)), insertAttempt(gw.store.db, { ...attempt(orderId, 1), provider_payment_id: 'other' })]);
    assert.equal([first, second].filter((a) => a !== undefined).length, 1);
    assert.equal((await findLatestAttempt(gw.store.db, orderId))?.provider_payment_id, `T-${orderId}-1`);
  });
});
