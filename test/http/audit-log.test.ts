import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { listAuditEvents } from '../../src/store/audit-events.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { cancelFields, paidOrder, refundFields } from '../helpers/money.js';
import { createOrder } from './support.js';

describe('the audit log of merchants’ actions', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(async () => {
    await gw.close();
  });

  test('a refund and a cancel are recorded with the merchant’s user_id and address; refused ones are not', async () => {
    const m = await gw.addMerchant();
    const since = Date.now();
    const paid = await paidOrder(gw, m, '30.00');
    const refunded = await gw.app.inject({ method: 'POST', url: '/refund', payload: refundFields(m, paid.orderId, '5.00', 'chipped'), remoteAddress: '203.0.113.9' });
    assert.equal(refunded.json().code, 0);
    const pending = await createOrder(gw, {}, m);
    const cancelled = await gw.app.inject({ method: 'POST', url: '/cancel', payload: cancelFields(m, pending.reference), remoteAddress: '203.0.113.10' });
    assert.equal(cancelled.json().code, 0);
    // Refused: more than was paid, and a second cancel of a paid order.
    await gw.app.inject({ method: 'POST', url: '/refund', payload: refundFields(m, paid.orderId, '99.00', 'no') });
    await gw.app.inject({ method: 'POST', url: '/cancel', payload: cancelFields(m, paid.reference) });

    const events = (await listAuditEvents(gw.store.db, { since, limit: 100 })).filter((e) => e.actor === m.user_id);
    assert.deepEqual(
      events.map((e) => [e.action, e.target, e.source]),
      [
        ['refund.create', paid.orderId, '203.0.113.9'],
        ['order.cancel', pending.orderId, '203.0.113.10'],
      ],
    );
    assert.deepEqual(JSON.parse(events[0].details), { refund_id: refunded.json().refund_id, amount: '5.00', currency: 'NZD', reference: 'chipped' });
    assert.ok(!JSON.stringify(events).includes(m.api_key));
  });
});
