import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestGateway, signed, type TestGateway } from '../helpers/gateway.js';
import { ledgerOf, paidOrder, refundFields, refundsOf } from '../helpers/money.js';

/** `Idempotency-Key` [ours] on refunds and barcode charges: a repeat answers the first answer and never acts twice. */
describe('Idempotency-Key', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(async () => {
    await gw.close();
  });

  const post = (url: string, body: unknown, key?: string) =>
    gw.app.inject({ method: 'POST', url, payload: body as Record<string, string>, headers: key === undefined ? {} : { 'idempotency-key': key } });

  test('a repeated refund, even after the duplicate window, answers the first refund and refunds once', async () => {
    const m = await gw.addMerchant();
    const order = await paidOrder(gw, m, '50.00');
    const body = refundFields(m, order.orderId, '10.00', 'one bottle');
    const first = (await post('/refund', body, 'refund-abc-1')).json();
    assert.equal(first.code, 0);
    for (let i = 0; i < 3; i++) {
      const repeat = (await post('/refund', body, 'refund-abc-1')).json();
      assert.deepEqual(repeat, first);
    }
    assert.equal((await refundsOf(gw, order.orderId)).length, 1);
    assert.deepEqual(await ledgerOf(gw, m.wallet_id), [['payment', 5000], ['refund', -1000]]);
  });

  test('the first answer is repeated when it was a refusal too', async () => {
    const m = await gw.addMerchant();
    const order = await paidOrder(gw, m, '5.00');
    const body = refundFields(m, order.orderId, '9.00', 'too much');
    const first = (await post('/refund', body, 'too-much')).json();
    assert.equal(first.code, 550, 'more than was paid');
    assert.deepEqual((await post('/refund', body, 'too-much')).json(), first);
  });

  test('the same key with other parameters is refused (207) and changes nothing', async () => {
    const m = await gw.addMerchant();
    const order = await paidOrder(gw, m, '50.00');
    assert.equal((await post('/refund', refundFields(m, order.orderId, '10.00', 'a'), 'reused')).json().code, 0);
    assert.equal((await post('/refund', refundFields(m, order.orderId, '11.00', 'a'), 'reused')).json().code, 207);
    assert.equal((await refundsOf(gw, order.orderId)).length, 1);
  });

  test('keys belong to one user_id: another merchant may use the same key', async () => {
    const [a, b] = [await gw.addMerchant(), await gw.addMerchant()];
    const [orderA, orderB] = [await paidOrder(gw, a, '20.00'), await paidOrder(gw, b, '20.00')];
    assert.equal((await post('/v2/refund', refundFields(a, orderA.orderId, '1.00', ''), 'shared-key')).json().code, 0);
    assert.equal((await post('/v2/refund', refundFields(b, orderB.orderId, '1.00', ''), 'shared-key')).json().code, 0);
    assert.equal((await refundsOf(gw, orderB.orderId)).length, 1);
  });

  test('two requests with one key at the same moment: one acts, the other repeats its answer or says it is running', async () => {
    const m = await gw.addMerchant();
    const order = await paidOrder(gw, m, '50.00');
    const body = refundFields(m, order.orderId, '10.00', 'race');
    const answers = await Promise.all([post('/refund', body, 'racing'), post('/refund', body, 'racing'), post('/refund', body, 'racing')]);
    const codes = answers.map((a) => a.json().code as number);
    assert.ok(codes.includes(0), `codes ${codes}`);
    assert.ok(codes.every((c) => c === 0 || c === 1), `codes ${codes}`);
    assert.equal((await refundsOf(gw, order.orderId)).length, 1);
  });

  test('a key that is not 1 to 255 visible ASCII characters is refused (207)', async () => {
    const m = await gw.addMerchant();
    const order = await paidOrder(gw, m, '50.00');
    for (const key of ['x'.repeat(256), 'with space']) {
      assert.equal((await post('/refund', refundFields(m, order.orderId, '1.00', ''), key)).json().code, 207, key);
    }
    assert.equal((await refundsOf(gw, order.orderId)).length, 0);
  });

  test('a barcode charge repeated with its key answers the same order and charges once', async () => {
    const m = await gw.addMerchant();
    // Without merchant_reference the order id is the reference: only the key makes a retry safe.
    const body = signed({ user_id: m.user_id, wallet_id: m.wallet_id, amount: '3.20', pay_code: '134567890123456780' }, m.api_key);
    const first = (await post('/barcode', body, 'till-7-sale-42')).json();
    assert.equal(first.code, 0);
    assert.deepEqual((await post('/barcode', body, 'till-7-sale-42')).json(), first);
    const orders = await gw.store.db.selectFrom('orders').select('order_id').where('user_id', '=', m.user_id).execute();
    assert.equal(orders.length, 1);
  });

  test('without a key nothing changes: the duplicate window still answers 562', async () => {
    const m = await gw.addMerchant();
    const order = await paidOrder(gw, m, '50.00');
    const body = refundFields(m, order.orderId, '10.00', 'same');
    assert.equal((await post('/refund', body)).json().code, 0);
    assert.equal((await post('/refund', body)).json().code, 562);
  });
});
