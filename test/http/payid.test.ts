import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REJECTED_MESSAGE, REJECTED_REFERENCE_MESSAGE } from '../../src/channels/sandbox/sandbox-methods.js';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import { expireDueOrders } from '../../src/gateway/expire-orders.js';
import { findOrderById } from '../../src/store/orders.js';
import { findLatestAttempt } from '../../src/store/payment-attempts.js';
import { findSandboxTradeByOutTradeNo } from '../../src/store/sandbox-trades.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  assertHtml,
  assertOneCallback,
  assertPageSecurity,
  assertSignedReturn,
  callbacksOf,
  getPage,
  hrefOf,
  pathOf,
  postForm,
  queryOrder,
  tagOf,
  textOf,
} from '../helpers/method-pages.js';
import { cancel, refund } from '../helpers/money.js';
import { answerOf, createOrder, settleOrder } from './support.js';

const START = Date.UTC(2026, 10, 30, 1, 0, 0);
const ORDER_TTL_SECONDS = 600;
const PAYID_TTL_SECONDS = 3_600;

/**
 * PayID in the sandbox: the page shows the PayID and the reference to pay; the order waits
 * for the transfer for PAYID_TTL_SECONDS (longer than other orders), then fails; the sandbox
 * bank app pays it, or it is rejected (a prohibited reference: blockData); and every callback
 * carries `message`, `payId` and `blockData` (Latipay's docs).
 */
describe('PayID in the sandbox', () => {
  let now = START;
  let gw: TestGateway;
  let merchant: CreatedMerchant;
  before(async () => {
    gw = await createTestGateway({
      clock: () => now,
      env: { ORDER_TTL_SECONDS: String(ORDER_TTL_SECONDS), PAYID_TTL_SECONDS: String(PAYID_TTL_SECONDS) },
    });
    merchant = await gw.addMerchant({ name: 'Sydney Deli', currency: 'AUD', methods: ['payid', 'alipay'] });
  });
  after(() => gw.close());

  /** A PayID order and its payment page; answers what the page told the payer. */
  async function payIdOrder() {
    const order = await createOrder(gw, { payment_method: 'payid' }, merchant);
    const response = await getPage(gw, `/pay/${order.nonce}`);
    const body = assertHtml(response);
    return {
      ...order,
      body,
      payId: textOf(body, 'payid'),
      payReference: textOf(body, 'payid-reference'),
      payerPath: pathOf(hrefOf(body, 'test-bank')).split('?')[0],
    };
  }

  test('the page shows the PayID, the reference and the amount to pay, and no QR', async () => {
    const order = await payIdOrder();
    assert.equal(textOf(order.body, 'method'), 'PayID');
    assert.match(order.payId, /^sbx\.[0-9a-f]{8}@payid\.example$/);
    assert.match(order.payReference, /^LP[0-9A-F]{8}$/);
    assert.equal(textOf(order.body, 'payid-amount'), '120.00 AUD');
    assert.match(textOf(order.body, 'instructions-intro'), /Pay 120\.00 AUD to this PayID/);
    assert.doesNotMatch(order.body, /data-test="qr"/);
    assert.doesNotMatch(order.body, /data-test="amount-cny"/);
    assert.match(order.payerPath, /^\/sandbox\/payid\/SBX[0-9a-f]+$/);
    const attempt = await findLatestAttempt(gw.store.db, order.orderId);
    assert.equal(attempt?.flow, 'instructions');
    // The same visit again shows the same PayID (one attempt, one PayID per order).
    assert.equal(textOf(assertHtml(await getPage(gw, `/pay/${order.nonce}`)), 'payid'), order.payId);
    const zh = assertHtml(await getPage(gw, `/pay/${order.nonce}?lang=zh`));
    assert.equal(textOf(zh, 'payid-reference'), order.payReference);
    assert.match(textOf(zh, 'instructions-intro'), /PayID 转账 120\.00 AUD/);
  });

  test('the order waits PAYID_TTL_SECONDS, not ORDER_TTL_SECONDS', async () => {
    const payid = await createOrder(gw, { payment_method: 'payid' }, merchant);
    const alipay = await createOrder(gw, { payment_method: 'alipay' }, merchant);
    const payidRow = await findOrderById(gw.store.db, payid.orderId);
    const alipayRow = await findOrderById(gw.store.db, alipay.orderId);
    assert.equal(Number(payidRow?.expires_at) - Number(payidRow?.created_at), PAYID_TTL_SECONDS * 1000);
    assert.equal(Number(alipayRow?.expires_at) - Number(alipayRow?.created_at), ORDER_TTL_SECONDS * 1000);
  });

  test('the sandbox bank app pays it: paid, and the callback carries the PayID with empty message and blockData', async () => {
    const order = await payIdOrder();
    const response = await getPage(gw, order.payerPath);
    assertPageSecurity(response);
    const payer = assertHtml(response);
    assert.equal(textOf(payer, 'payer-payid'), order.payId);
    assert.match(tagOf(payer, 'payer-reference'), new RegExp(`value="${order.payReference}"`));
    assert.equal(textOf(payer, 'payer-amount'), '120.00 AUD');

    const sent = await postForm(gw, `${order.payerPath}?lang=en`, { outcome: 'paid', reference: order.payReference });
    assert.equal(sent.statusCode, 303);
    assert.equal(sent.headers.location, `/pay/${order.nonce}/result?lang=en`);
    const callback = await assertOneCallback(gw, merchant, order.orderId, { reference: order.reference, method: 'payid', status: 'paid', currency: 'AUD', amount: '120.00' });
    assert.equal(callback.payId, order.payId);
    assert.equal(callback.message, '');
    assert.equal(callback.blockData, '');
    assert.equal((await queryOrder(gw, merchant, order.reference)).status, 'paid');
    const back = await getPage(gw, `/pay/${order.nonce}`);
    assertSignedReturn(merchant.api_key, String(back.headers.location), { reference: order.reference, method: 'payid', status: 'paid' });
  });

  test('a prohibited reference is rejected: status rejected, message, and the reference as blockData', async () => {
    const order = await payIdOrder();
    const typed = 'Blocked: gift for Alex';
    assert.equal((await postForm(gw, order.payerPath, { outcome: 'paid', reference: typed })).statusCode, 303);
    assert.equal((await findOrderById(gw.store.db, order.orderId))?.status, 'rejected');
    const callback = await assertOneCallback(gw, merchant, order.orderId, { reference: order.reference, method: 'payid', status: 'rejected', currency: 'AUD', amount: '120.00' });
    assert.deepEqual({ message: callback.message, payId: callback.payId, blockData: callback.blockData }, { message: REJECTED_REFERENCE_MESSAGE, payId: order.payId, blockData: typed });

    const answer = await queryOrder(gw, merchant, order.reference);
    assert.equal(answer.status, 'rejected');
    const result = assertHtml(await getPage(gw, `/pay/${order.nonce}/result`));
    assert.match(tagOf(result, 'result'), /data-outcome="rejected"/);
    assertSignedReturn(merchant.api_key, hrefOf(result, 'return'), { reference: order.reference, method: 'payid', status: 'cancel_or_fail' });
    // Nothing was paid: no refund, no cancel, nothing in the wallet.
    assert.equal((await refund(gw, merchant, order.orderId, '1.00', 'rejected')).code, 556);
    assert.equal((await cancel(gw, merchant, order.reference)).code, 901);
    const ledger = await gw.store.db.selectFrom('ledger_entries').selectAll().where('order_id', '=', order.orderId).execute();
    assert.equal(ledger.length, 0);
    // The trade is over: the bank app shows it ended and offers nothing more.
    const ended = assertHtml(await getPage(gw, order.payerPath));
    assert.match(tagOf(ended, 'trade-ended'), /data-status="TRADE_REJECTED"/);
    assert.doesNotMatch(ended, /data-test="send"/);
  });

  test('"Reject payment" rejects with a reason and no blockData; posting again changes nothing', async () => {
    const order = await payIdOrder();
    await postForm(gw, order.payerPath, { outcome: 'rejected', reference: order.payReference });
    await postForm(gw, order.payerPath, { outcome: 'paid', reference: order.payReference });
    const callback = await assertOneCallback(gw, merchant, order.orderId, { reference: order.reference, method: 'payid', status: 'rejected', currency: 'AUD', amount: '120.00' });
    assert.deepEqual({ message: callback.message, payId: callback.payId, blockData: callback.blockData }, { message: REJECTED_MESSAGE, payId: order.payId, blockData: '' });
  });

  test('the test API rejects with or without a blocked reference', async () => {
    const plain = await createOrder(gw, { payment_method: 'payid' }, merchant);
    const answer = answerOf(await settleOrder(gw, plain.orderId, 'rejected'));
    assert.deepEqual([answer.code, answer.status], [0, 'rejected']);
    const [fields] = await callbacksOf(gw, plain.orderId);
    assert.equal(fields.message, REJECTED_MESSAGE);
    assert.match(fields.payId, /@payid\.example$/, 'opening the attempt issued the PayID');

    const blocked = await createOrder(gw, { payment_method: 'payid' }, merchant);
    const response = await gw.app.inject({ method: 'POST', url: `/sandbox/orders/${blocked.orderId}`, payload: { outcome: 'rejected', reference: 'crypto' } });
    assert.equal(response.json().status, 'rejected');
    const [blockedFields] = await callbacksOf(gw, blocked.orderId);
    assert.deepEqual([blockedFields.message, blockedFields.blockData], [REJECTED_REFERENCE_MESSAGE, 'crypto']);
    const wrong = await createOrder(gw, { payment_method: 'payid' }, merchant);
    assert.equal(answerOf(await settleOrder(gw, wrong.orderId, 'canceled')).code, 207, 'PayID has no Cancel button');
  });

  test('at its own expiry the order fails, its PayID stops taking payments, and the callback still names the PayID', async () => {
    const order = await payIdOrder();
    const attempt = await findLatestAttempt(gw.store.db, order.orderId);
    // Past ORDER_TTL_SECONDS: a PayID order is still waiting.
    now += (ORDER_TTL_SECONDS + 60) * 1000;
    await expireDueOrders(gw.app.gateway);
    assert.equal((await findOrderById(gw.store.db, order.orderId))?.status, 'pending');
    assert.equal(assertHtml(await getPage(gw, `/pay/${order.nonce}`)).includes('data-test="payid"'), true, 'the page still shows the PayID');

    now += PAYID_TTL_SECONDS * 1000;
    await expireDueOrders(gw.app.gateway);
    assert.equal((await findOrderById(gw.store.db, order.orderId))?.status, 'failed');
    const callback = await assertOneCallback(gw, merchant, order.orderId, { reference: order.reference, method: 'payid', status: 'failed', currency: 'AUD', amount: '120.00' });
    assert.deepEqual({ message: callback.message, payId: callback.payId, blockData: callback.blockData }, { message: '', payId: order.payId, blockData: '' });
    assert.equal((await findSandboxTradeByOutTradeNo(gw.store.db, String(attempt?.attempt_id)))?.status, 'TRADE_CLOSED', 'the PayID is disabled');
    const expired = await getPage(gw, `/pay/${order.nonce}`);
    assert.equal(expired.statusCode, 410);
    assert.match(tagOf(expired.body, 'result'), /data-outcome="expired"/);
    // A transfer that still arrives is not taken: the bank app says the trade has ended.
    assert.match(tagOf(assertHtml(await getPage(gw, order.payerPath)), 'trade-ended'), /data-status="TRADE_CLOSED"/);
    assert.equal((await postForm(gw, order.payerPath, { outcome: 'paid', reference: order.payReference })).statusCode, 303);
    assert.equal((await findOrderById(gw.store.db, order.orderId))?.status, 'failed');
  });

  test('a merchant cancel of a pending PayID order is called back with its PayID', async () => {
    const order = await payIdOrder();
    assert.equal((await cancel(gw, merchant, order.reference)).code, 0);
    const callback = await assertOneCallback(gw, merchant, order.orderId, { reference: order.reference, method: 'payid', status: 'canceled', currency: 'AUD', amount: '120.00' });
    assert.equal(callback.payId, order.payId);
  });

  test('an Alipay order of the same wallet gets no PayID fields', async () => {
    const order = await createOrder(gw, { payment_method: 'alipay' }, merchant);
    await settleOrder(gw, order.orderId, 'paid');
    const [fields] = await callbacksOf(gw, order.orderId);
    assert.equal(fields.status, 'paid');
    assert.deepEqual(Object.keys(fields).sort(), ['amount', 'currency', 'merchant_reference', 'order_id', 'pay_time', 'payment_method', 'signature', 'status']);
  });
});
