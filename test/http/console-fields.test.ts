// The API console's optional create fields (is_staticpay, is_spotpay, goods_detail, id_name,
// id_number): validated, kept with the order (the id number sealed, never logged), part of
// "the same checkout", and goods_detail handed to WeChat Pay as its order's detail.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { loadOrderDetails } from '../../src/gateway/order-details.js';
import { FakeWechatPay } from '../fakes/wechatpay/fake-wechatpay.js';
import { createTestGateway, signed, transactionFields, type TestGateway } from '../helpers/gateway.js';
import { configureWechat, makeWechatMerchant, wechatFactories } from '../helpers/wechatpay.js';
import { answerOf, countOrders, createOrder, PC_UA, postTransaction } from './support.js';

const ID_NUMBER = 'ZX9081726354';
const GOODS = [
  { goods_id: 'SKU-1', goods_name: 'Manuka honey 500g', quantity: 2, price: '24.50' },
  { goods_name: 'Gift wrap', quantity: 1, price: '1.00' },
];

describe('console fields of a create', () => {
  let gw: TestGateway;
  const logged: string[] = [];
  before(async () => {
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logged.push(String(chunk));
        done();
      },
    });
    gw = await createTestGateway({ env: { LOG_LEVEL: 'debug', LOG_REQUESTS: 'on' }, logDestination: destination });
  });
  after(() => gw.close());

  test('are kept with the order, the id number sealed at rest and absent from the log', async () => {
    const order = await createOrder(gw, {
      is_staticpay: '0',
      is_spotpay: '1',
      goods_detail: JSON.stringify(GOODS),
      id_name: 'Aroha Ngata',
      id_number: ID_NUMBER,
    });
    assert.deepEqual(await loadOrderDetails(gw, order.orderId), {
      staticPay: false,
      spotPay: true,
      goods: [
        { goodsId: 'SKU-1', name: 'Manuka honey 500g', quantity: 2, unitPriceMinor: 2450 },
        { name: 'Gift wrap', quantity: 1, unitPriceMinor: 100 },
      ],
      idName: 'Aroha Ngata',
      idNumber: ID_NUMBER,
    });
    const row = await gw.store.db.selectFrom('order_details').selectAll().where('order_id', '=', order.orderId).executeTakeFirstOrThrow();
    assert.ok(!row.details.includes(ID_NUMBER), 'sealed at rest');
    assert.ok(logged.join('').length > 0, 'the gateway logged');
    assert.ok(!logged.join('').includes(ID_NUMBER), 'never logged');
  });

  test('an order without them writes nothing more', async () => {
    const order = await createOrder(gw);
    assert.equal(await loadOrderDetails(gw, order.orderId), undefined);
  });

  test('a bad value answers 207 naming the field and creates nothing', async () => {
    const before = await countOrders(gw);
    for (const [field, value, message] of [
      ['is_spotpay', 'true', /is_spotpay must be "0" or "1"/],
      ['goods_detail', '[{"goods_name":"x","quantity":1}]', /goods_detail \[0\]\.price/],
      ['id_number', 'not an id!', /id_number/],
    ] as const) {
      const answer = answerOf(await postTransaction(gw, signed(transactionFields(gw.merchant, { [field]: value }), gw.merchant.api_key)));
      assert.equal(answer.code, 207, field);
      assert.match(String(answer.message), message);
    }
    assert.equal(await countOrders(gw), before);
  });

  test('are part of the same checkout: the same ones retry the order, other goods are refused', async () => {
    const first = await createOrder(gw, { goods_detail: JSON.stringify(GOODS) });
    const retry = answerOf(await postTransaction(gw, signed(first.fields, gw.merchant.api_key)));
    assert.equal(retry.code, 0);
    const otherGoods = JSON.stringify([{ ...GOODS[0], quantity: 3 }]);
    const changed = answerOf(await postTransaction(gw, signed({ ...first.fields, goods_detail: otherGoods }, gw.merchant.api_key)));
    assert.equal(changed.code, 207);
    assert.match(String(changed.message), /different parameters/);
  });
});

describe('goods_detail with WeChat Pay', () => {
  const merchant = makeWechatMerchant();
  let fake: FakeWechatPay;
  let gw: TestGateway;
  before(async () => {
    fake = await FakeWechatPay.start({ merchants: [merchant.fake] });
    gw = await createTestGateway({ providerFactories: wechatFactories(fake) });
    await configureWechat(gw, fake, merchant);
  });
  after(async () => {
    await gw.close();
    await fake.stop();
  });

  test('becomes the order\'s detail: cost_price the goods\' sum, unit prices in minor units', async () => {
    const order = await createOrder(gw, { payment_method: 'wechat', amount: '50.00', goods_detail: JSON.stringify(GOODS), id_number: ID_NUMBER });
    const page = await gw.app.inject({ method: 'GET', url: `/pay/${order.nonce}`, headers: { 'user-agent': PC_UA, accept: 'text/html' } });
    assert.equal(page.statusCode, 200);
    const placed = fake.order(`${order.orderId}01`);
    assert.ok(placed, 'WeChat Pay has the order');
    assert.deepEqual(placed.request.detail, {
      cost_price: 5000,
      goods_detail: [
        { goods_id: 'SKU-1', goods_name: 'Manuka honey 500g', quantity: 2, price: 2450 },
        { goods_name: 'Gift wrap', quantity: 1, price: 100 },
      ],
    });
    assert.ok(!JSON.stringify(placed.request).includes(ID_NUMBER), 'the payer id is not WeChat Pay\'s business');
  });

  test('an order without goods_detail places no detail', async () => {
    const order = await createOrder(gw, { payment_method: 'wechat' });
    await gw.app.inject({ method: 'GET', url: `/pay/${order.nonce}`, headers: { 'user-agent': PC_UA, accept: 'text/html' } });
    assert.equal(fake.order(`${order.orderId}01`)?.request.detail, undefined);
  });
});
