// POST /v2/miniapppay with WeChat Pay (the protocol-exact fake) serving the wallet: a JSAPI
// order placed with the mini program's appid and the payer's openid, wx.requestPayment's
// parameters the fake's own check accepts, WeChat Pay's notification settling the order,
// the merchant's callback and the query, a refund; and WeChat Pay's refusals as the
// merchant sees them. The gateway listens on 127.0.0.1 (the fake notifies it there) and its
// delivery worker posts callbacks to a merchant's server on 127.0.0.1.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { ParamValue } from '../../../src/domain/signature.js';
import { findOrderById } from '../../../src/store/orders.js';
import { listAttemptsOfOrder } from '../../../src/store/payment-attempts.js';
import { startMerchantServer, waitFor, type MerchantServer } from '../../e2e/helpers.js';
import { FakeWechatPay } from '../../fakes/wechatpay/fake-wechatpay.js';
import { createTestGateway, signed, type TestGateway } from '../../helpers/gateway.js';
import { cancel, refund } from '../../helpers/money.js';
import { configureWechat, makeWechatMerchant, wechatFactories, type WechatMerchant } from '../../helpers/wechatpay.js';
import { answerOf, countOrders, hmac } from '../../http/support.js';

/** The merchant's mini program, bound to its WeChat Pay merchant. */
const MINI_APP = 'wxm1n1000000000001';

let counter = 0;

describe('POST /v2/miniapppay through WeChat Pay', () => {
  let fake: FakeWechatPay;
  let merchant: WechatMerchant;
  let gw: TestGateway;
  let server: http.Server;
  let shop: MerchantServer;

  before(async () => {
    merchant = makeWechatMerchant();
    fake = await FakeWechatPay.start({ merchants: [{ ...merchant.fake, appids: [MINI_APP] }], refundResult: 'SUCCESS' });
    shop = await startMerchantServer(() => 'sent');
    server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const publicUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    gw = await createTestGateway({ providerFactories: wechatFactories(fake), worker: true, env: { PUBLIC_URL: publicUrl } });
    await gw.app.ready();
    server.on('request', (req, res) => gw.app.server.emit('request', req, res));
    await configureWechat(gw, fake, merchant);
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await gw.close();
    await fake.stop();
    await shop.close();
  });

  function fields(openId: string, overrides: Record<string, ParamValue> = {}): Record<string, ParamValue> {
    return {
      user_id: gw.merchant.user_id,
      wallet_id: gw.merchant.wallet_id,
      amount: '120.00',
      notify_url: shop.callbackUrl,
      merchant_reference: `wxmini-${Date.now()}-${++counter}`,
      product_name: 'Online Ticket',
      app_id: MINI_APP,
      open_id: openId,
      ...overrides,
    };
  }

  async function miniAppPay(body: Record<string, ParamValue>) {
    return answerOf(await gw.app.inject({ method: 'POST', url: '/v2/miniapppay', payload: signed(body, gw.merchant.api_key) }));
  }

  test('a JSAPI order with the mini program\'s appid and the payer\'s openid; WeChat accepts the parameters; paid, notified, called back, queried, refunded', { timeout: 30_000 }, async () => {
    const openId = fake.miniProgramLogin(MINI_APP);
    const body = fields(openId);
    const answer = await miniAppPay(body);
    assert.equal(answer.code, 0, JSON.stringify(answer));
    const payment = answer.payment as Record<string, string>;
    const orderId = (answer.paydata as Record<string, string>).order_id;
    const attemptId = `${orderId}01`;
    const order = fake.order(attemptId);
    assert.equal(order?.tradeType, 'JSAPI');
    assert.equal(order?.request.appid, MINI_APP);
    assert.deepEqual(order?.request.payer, { openid: openId });
    assert.equal(order?.total, 12_000);
    assert.equal(payment.packageStr, `prepay_id=${order?.prepayId}`);
    assert.equal(payment.signType, 'RSA');
    const invoke = { appId: MINI_APP, timeStamp: payment.timeStamp, nonceStr: payment.nonceStr, package: payment.packageStr, signType: payment.signType, paySign: payment.paySign };
    assert.equal(fake.checkJsapiInvoke(merchant.mchid, invoke), null, 'wx.requestPayment would take them');

    const again = await miniAppPay(body);
    assert.deepEqual(again, answer, 'a retry answers the same payment');
    assert.equal(fake.requestsTo('/v3/global/transactions/jsapi').filter((r) => r.body.includes(attemptId)).length, 1, 'and orders nothing again');

    await fake.pay(attemptId, { openid: openId });
    await waitFor('the order paid', async () => (await findOrderById(gw.store.db, orderId))?.status === 'paid', { timeoutMs: 5_000 });
    const reference = String(body.merchant_reference);
    const [callback] = await shop.waitForCallbacks(reference, 1);
    assert.equal(callback.fields.order_id, orderId);
    assert.equal(callback.fields.payment_method, 'wechat');
    assert.equal(callback.fields.status, 'paid');
    assert.equal(callback.fields.signature, hmac(gw.merchant.api_key, `${reference}wechatpaidNZD120.00`));
    const query = answerOf(
      await gw.app.inject({
        method: 'GET',
        url: `/v2/transaction/${reference}?user_id=${gw.merchant.user_id}&signature=${hmac(gw.merchant.api_key, `merchant_reference=${reference}&user_id=${gw.merchant.user_id}${gw.merchant.api_key}`)}`,
      }),
    );
    assert.equal(query.status, 'paid');

    const refunded = await refund(gw, gw.merchant, orderId, '20.00', 'mini program refund');
    assert.equal(refunded.code, 0, JSON.stringify(refunded));
    assert.deepEqual(fake.refundsOf(attemptId).map((r) => r.amount), [2_000]);
  });

  test('an app_id not bound to the wallet\'s WeChat Pay merchant, or an open_id of another app, is 207; the order waits, and nothing is ordered', async () => {
    const unbound = await miniAppPay(fields(fake.miniProgramLogin('wx0ther0000000001'), { app_id: 'wx0ther0000000001' }));
    assert.equal(unbound.code, 207, JSON.stringify(unbound));
    assert.match(unbound.message, /APPID_MCHID_NOT_MATCH/);
    const crossed = await miniAppPay(fields(fake.miniProgramLogin(merchant.appid)));
    assert.equal(crossed.code, 207, JSON.stringify(crossed));
    assert.match(crossed.message, /PARAM_ERROR/);
  });

  test('a cancelled mini program order is closed at WeChat Pay: the payer can no longer pay it', async () => {
    const body = fields(fake.miniProgramLogin(MINI_APP));
    const answer = await miniAppPay(body);
    const orderId = (answer.paydata as Record<string, string>).order_id;
    const cancelled = await cancel(gw, gw.merchant, String(body.merchant_reference));
    assert.equal(cancelled.code, 0, JSON.stringify(cancelled));
    assert.equal((await findOrderById(gw.store.db, orderId))?.status, 'canceled');
    await waitFor('the JSAPI order closed', () => fake.order(`${orderId}01`)?.state === 'CLOSED', { timeoutMs: 5_000 });
  });

  test('WeChat Pay failing (5xx) is code 1 and the order waits; the same request again pays the same order', async () => {
    const body = fields(fake.miniProgramLogin(MINI_APP));
    fake.failNext('/v3/global/transactions/jsapi', { status: 500, body: { code: 'SYSTEM_ERROR', message: 'system error' } });
    const orders = await countOrders(gw);
    const failed = await miniAppPay(body);
    assert.equal(failed.code, 1, JSON.stringify(failed));
    assert.equal(await countOrders(gw), orders + 1, 'the order is written, pending');
    const retried = await miniAppPay(body);
    assert.equal(retried.code, 0, JSON.stringify(retried));
    const orderId = (retried.paydata as Record<string, string>).order_id;
    assert.equal((await findOrderById(gw.store.db, orderId))?.merchant_reference, body.merchant_reference);
    assert.equal(await countOrders(gw), orders + 1);
    assert.deepEqual((await listAttemptsOfOrder(gw.store.db, orderId)).map((a) => [a.attempt_id.slice(-2), a.flow, a.status]), [['01', 'in_app', 'pending']]);
  });
});
