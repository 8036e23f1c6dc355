import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cliEnvFor, runCli } from '../helpers/cli.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { openAttemptOf, paidOrder, refund } from '../helpers/money.js';
import { settleReport } from '../../src/gateway/settle-payment.js';
import { createOrder } from '../http/support.js';

/** `latipay orders show|list`, `wallet balance` and `callbacks show` by reference, on a running gateway's database. */
describe('latipay orders and wallet (CLI)', () => {
  let gw: TestGateway;
  const cli = (...args: string[]) => runCli(args, cliEnvFor(gw));
  before(async () => {
    gw = await createTestGateway();
  });
  after(async () => {
    await gw.close();
  });

  test('orders show finds an order by order_id or merchant_reference, with its refunds, callbacks and ledger', async () => {
    const m = await gw.addMerchant({ name: 'Shown Shop' });
    const order = await paidOrder(gw, m, '40.00');
    assert.equal((await refund(gw, m, order.orderId, '15.00', 'two glasses')).code, 0);
    for (const name of [order.orderId, order.reference]) {
      const shown = await cli('orders', 'show', name, '--json');
      assert.equal(shown.code, 0, shown.stderr);
      const o = JSON.parse(shown.stdout) as {
        order_id: string;
        status: string;
        amount: string;
        amount_cny: string;
        refunds: Array<{ amount: string; status: string; reference: string }>;
        callbacks: Array<{ status: string }>;
        ledger: Array<{ kind: string; amount: string }>;
      };
      assert.equal(o.order_id, order.orderId);
      assert.equal(o.status, 'paid');
      assert.equal(o.amount, '40.00');
      assert.equal(o.amount_cny, '185.80', '40.00 NZD at the sandbox rate 4.6449');
      assert.deepEqual(o.refunds.map((r) => [r.amount, r.status, r.reference]), [['15.00', 'succeeded', 'two glasses']]);
      assert.equal(o.callbacks.length, 1);
      assert.deepEqual(o.ledger.map((e) => [e.kind, e.amount]), [['payment', '40.00'], ['refund', '-15.00']]);
    }
    const text = await cli('orders', 'show', order.reference);
    assert.match(text.stdout, new RegExp(`^order ${order.orderId} \\(${order.reference}\\)`));
  });

  test('a merchant_reference several users have needs --user; an unknown one is a one-line refusal', async () => {
    const [a, b] = [await gw.addMerchant({ name: 'A' }), await gw.addMerchant({ name: 'B' })];
    const first = await createOrder(gw, { merchant_reference: 'shared-ref-1' }, a);
    await createOrder(gw, { merchant_reference: 'shared-ref-1' }, b);
    const ambiguous = await cli('orders', 'show', 'shared-ref-1');
    assert.equal(ambiguous.code, 1);
    assert.match(ambiguous.stderr, /several users .*add --user USER_ID/);
    const chosen = await cli('orders', 'show', 'shared-ref-1', '--user', a.user_id, '--json');
    assert.equal((JSON.parse(chosen.stdout) as { order_id: string }).order_id, first.orderId);
    const unknown = await cli('orders', 'show', 'no-such-ref');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^latipay: no order with order_id or merchant_reference "no-such-ref"\n$/);
  });

  test('callbacks show takes a merchant_reference too', async () => {
    const m = await gw.addMerchant({ name: 'Callback Shop' });
    const order = await paidOrder(gw, m, '5.00');
    const shown = await cli('callbacks', 'show', order.reference, '--user', m.user_id, '--json');
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal((JSON.parse(shown.stdout) as unknown[]).length, 1);
  });

  test('orders list filters by status, user, wallet and time, newest first', async () => {
    const m = await gw.addMerchant({ name: 'Listed Shop' });
    const pending = await createOrder(gw, {}, m);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const between = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const paid = await paidOrder(gw, m, '9.00');
    const all = JSON.parse((await cli('orders', 'list', '--user', m.user_id, '--json')).stdout) as Array<{ order_id: string; status: string }>;
    assert.deepEqual(all.map((o) => o.order_id), [paid.orderId, pending.orderId]);
    const onlyPaid = JSON.parse((await cli('orders', 'list', '--wallet', m.wallet_id, '--status', 'paid', '--json')).stdout) as Array<{ order_id: string }>;
    assert.deepEqual(onlyPaid.map((o) => o.order_id), [paid.orderId]);
    const future = JSON.parse((await cli('orders', 'list', '--user', m.user_id, '--since', '2999-01-01', '--json')).stdout) as unknown[];
    assert.equal(future.length, 0);
    const recent = JSON.parse((await cli('orders', 'list', '--user', m.user_id, '--since', '1h', '--json')).stdout) as unknown[];
    assert.equal(recent.length, 2);
    // Ids start with the day only: the same day's earlier order is left out by its time.
    const sinceBetween = JSON.parse((await cli('orders', 'list', '--user', m.user_id, '--since', between, '--json')).stdout) as Array<{ order_id: string }>;
    assert.deepEqual(sinceBetween.map((o) => o.order_id), [paid.orderId]);
    const bad = await cli('orders', 'list', '--status', 'lost');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--status must be one of pending, paid, failed, canceled, rejected/);
  });

  test('wallet balance sums the ledger per kind', async () => {
    const m = await gw.addMerchant({ name: 'Balance Shop' });
    const order = await paidOrder(gw, m, '100.00');
    await paidOrder(gw, m, '20.50');
    assert.equal((await refund(gw, m, order.orderId, '30.25', '')).code, 0);
    const shown = await cli('wallet', 'balance', m.wallet_id, '--json');
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(JSON.parse(shown.stdout), {
      wallet_id: m.wallet_id,
      currency: 'NZD',
      balance: '90.25',
      totals: [
        { kind: 'payment', amount: '120.50', entries: 2 },
        { kind: 'refund', amount: '-30.25', entries: 1 },
      ],
    });
    const unknown = await cli('wallet', 'balance', 'W000000000');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no wallet W000000000/);
  });

  test('a payment that does not match its order is flagged, listed, shown, and settled by an operator', async () => {
    const m = await gw.addMerchant({ name: 'Flagged Shop' });
    const order = await createOrder(gw, { amount: '30.00' }, m);
    const attempt = await openAttemptOf(gw, order.orderId);
    // The provider reports 0.30 paid for an order of 30.00.
    const result = await settleReport(gw.app.gateway, 'sandbox', 'mismatch-1', {
      attemptId: attempt.attempt_id,
      state: 'paid',
      amountMinor: 30,
      currency: 'NZD',
      occurredAt: Date.now(),
    });
    assert.equal(result, 'flagged');

    const flagged = JSON.parse((await cli('orders', 'list', '--flagged', '--user', m.user_id, '--json')).stdout) as Array<{ order_id: string; review_reason: string }>;
    assert.deepEqual(flagged.map((o) => o.order_id), [order.orderId]);
    assert.match(flagged[0]?.review_reason ?? '', /0\.30 NZD paid for an order of 30\.00 NZD/);
    const shown = await cli('orders', 'show', order.orderId);
    assert.match(shown.stdout, /FLAGGED for review: /);
    assert.match(shown.stdout, new RegExp(`attempt ${attempt.attempt_id} sandbox qr: paid`));

    const refused = await cli('orders', 'settle', order.orderId, '--paid');
    assert.equal(refused.code, 2, 'the reason is required');
    const settled = await cli('orders', 'settle', order.orderId, '--paid', '--reason', 'the provider portal shows 30.00 NZD received');
    assert.equal(settled.code, 0, settled.stderr);
    const after = JSON.parse((await cli('orders', 'show', order.orderId, '--json')).stdout) as { status: string; callbacks: unknown[]; ledger: Array<{ kind: string; amount: string }> };
    assert.equal(after.status, 'paid');
    assert.equal(after.callbacks.length, 1, 'the merchant is told now');
    assert.deepEqual(after.ledger.map((e) => [e.kind, e.amount]), [['payment', '30.00']]);
    const audit = JSON.parse((await cli('audit', 'list', '--target', order.orderId, '--json')).stdout) as Array<{ action: string; details: { reason: string } }>;
    assert.deepEqual(audit.map((e) => e.action), ['order.settle']);
    // Settling it again, or an order never flagged, is refused.
    assert.equal((await cli('orders', 'settle', order.orderId, '--failed', '--reason', 'x')).code, 1);
    const plain = await createOrder(gw, {}, m);
    assert.match((await cli('orders', 'settle', plain.orderId, '--failed', '--reason', 'x')).stderr, /not flagged for review/);
  });
});
