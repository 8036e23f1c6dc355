import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  balanceOf,
  cancel,
  cancelFields,
  latePaidNotification,
  ledgerOf,
  openAttemptOf,
  postCancel,
  refundsOf,
  sandboxOf,
  sortedSignature,
} from '../helpers/money.js';
import { TEST_DIALECT } from '../helpers/database.js';
import { assignWallet, insertUser } from '../../src/store/merchants.js';
import { listNotificationsForOrder } from '../../src/store/notifications.js';
import { listAuditEvents } from '../../src/store/audit-events.js';
import { findOrderById, listOrders } from '../../src/store/orders.js';
import { answerOf, createOrder, findOrder, hmac, settleOrder, PC_UA } from './support.js';

async function statusOf(gw: TestGateway, orderId: string): Promise<string | undefined> {
  return (await findOrderById(gw.store.db, orderId))?.status;
}

describe('POST /cancel', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(async () => {
    await gw.close();
  });

  describe('code 0', () => {
    test('a pending order becomes canceled, with its signed callback in the outbox', async () => {
      const m = await gw.addMerchant();
      const order = await createOrder(gw, { amount: '12.50' }, m);
      const response = await postCancel(gw, cancelFields(m, order.reference));
      assert.equal(response.statusCode, 200);
      const answer = answerOf(response);
      assert.equal(answer.code, 0, response.body);
      assert.equal(answer.message, 'SUCCESS');
      assert.equal(await statusOf(gw, order.orderId), 'canceled');

      const notifications = await listNotificationsForOrder(gw.store.db, order.orderId);
      assert.equal(notifications.length, 1);
      assert.equal(notifications[0].url, 'https://merchant.example/callback');
      assert.equal(notifications[0].status, 'pending');
      const fields = Object.fromEntries(new URLSearchParams(notifications[0].body));
      assert.equal(fields.status, 'canceled');
      assert.equal(fields.order_id, order.orderId);
      assert.equal(fields.amount, '12.50');
      assert.equal(fields.signature, hmac(m.api_key, `${order.reference}alipaycanceledNZD12.50`));
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), []);
    });

    test('the spec vector (api_key 111222333): user_id then merchant_reference, in the order received', async () => {
      const vector = { ...gw.merchant, user_id: 'U000000013', api_key: '111222333' };
      await insertUser(
        gw.store.db,
        { id: vector.user_id, organisation_id: gw.merchant.organisation_id, name: 'Vector user', api_key_sealed: gw.secrets.seal(vector.api_key), active: 1 },
        Date.now(),
      );
      await assignWallet(gw.store.db, gw.merchant.wallet_id, vector.user_id);
      const order = await createOrder(gw, { merchant_reference: '9872428736782682' }, vector);
      const body = {
        user_id: 'U000000013',
        merchant_reference: '9872428736782682',
        signature: 'da3b80be09665913e632f1bc0822e3d98d8dd235aebeb6f532b6bb7e329b9635',
      };
      assert.equal(hmac('111222333', 'user_id=U000000013&merchant_reference=9872428736782682111222333'), body.signature);
      assert.notEqual(sortedSignature({ user_id: body.user_id, merchant_reference: body.merchant_reference }, '111222333'), body.signature);
      assert.equal(answerOf(await postCancel(gw, body)).code, 0);
      assert.equal(await statusOf(gw, order.orderId), 'canceled');
    });

    test('a form-encoded body', async () => {
      const m = await gw.addMerchant();
      const order = await createOrder(gw, {}, m);
      const response = await gw.app.inject({
        method: 'POST',
        url: '/cancel',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(cancelFields(m, order.reference)).toString(),
      });
      assert.equal(answerOf(response).code, 0, response.body);
      assert.equal(await statusOf(gw, order.orderId), 'canceled');
    });

    test('cancelling again answers 0 and changes nothing (a retry after a lost answer)', async () => {
      const m = await gw.addMerchant();
      const order = await createOrder(gw, {}, m);
      assert.equal((await cancel(gw, m, order.reference)).code, 0);
      const first = await findOrderById(gw.store.db, order.orderId);
      assert.equal((await cancel(gw, m, order.reference)).code, 0);
      assert.deepEqual(await findOrderById(gw.store.db, order.orderId), first);
      assert.equal((await listNotificationsForOrder(gw.store.db, order.orderId)).length, 1);
    });
  });

  describe('errors', () => {
    for (const field of ['user_id', 'merchant_reference', 'signature']) {
      test(`3 data error when ${field} is missing or empty`, async () => {
        const m = await gw.addMerchant();
        const order = await createOrder(gw, {}, m);
        const fields = cancelFields(m, order.reference);
        const { [field]: _dropped, ...without } = fields;
        assert.equal(answerOf(await postCancel(gw, without)).code, 3);
        assert.equal(answerOf(await postCancel(gw, { ...fields, [field]: '' })).code, 3);
        assert.equal(await statusOf(gw, order.orderId), 'pending');
      });
    }

    test('3 data error for a body that is not an object of values', async () => {
      const m = await gw.addMerchant();
      const order = await createOrder(gw, {}, m);
      const fields = cancelFields(m, order.reference);
      assert.equal(answerOf(await postCancel(gw, [fields])).code, 3);
      assert.equal(answerOf(await postCancel(gw, { ...fields, merchant_reference: { $ne: '' } })).code, 3);
      assert.equal(await statusOf(gw, order.orderId), 'pending');
    });

    test('110 when the user does not exist', async () => {
      const ghost = { ...gw.merchant, user_id: 'U999999998' };
      assert.equal((await cancel(gw, ghost, 'anything')).code, 110);
    });

    test('205 when the user is disabled', async () => {
      const m = await gw.addMerchant({ name: 'Disabled Shop' });
      const order = await createOrder(gw, {}, m);
      await gw.store.db.updateTable('users').set({ active: 0 }).where('id', '=', m.user_id).execute();
      gw.app.gateway.credentials.forget(m.user_id);
      assert.equal((await cancel(gw, m, order.reference)).code, 205);
      assert.equal(await statusOf(gw, order.orderId), 'pending');
    });

    test('206 for a wrong signature', async () => {
      const m = await gw.addMerchant();
      const order = await createOrder(gw, {}, m);
      const fields = cancelFields(m, order.reference);
      assert.equal(answerOf(await postCancel(gw, { ...fields, signature: '0'.repeat(64) })).code, 206);
      const other = await gw.addMerchant();
      assert.equal(answerOf(await postCancel(gw, { ...fields, signature: cancelFields(other, order.reference).signature })).code, 206);
      assert.equal(await statusOf(gw, order.orderId), 'pending');
    });

    test("201 for an unknown reference and for another user's", async () => {
      const owner = await gw.addMerchant();
      const order = await createOrder(gw, {}, owner);
      assert.equal((await cancel(gw, owner, 'no-such-reference')).code, 201);
      const stranger = await gw.addMerchant();
      assert.equal((await cancel(gw, stranger, order.reference)).code, 201);
      assert.equal(await statusOf(gw, order.orderId), 'pending');
    });

    test('900 for a paid order: it stays paid, its money stays', async () => {
      const m = await gw.addMerchant();
      const order = await createOrder(gw, { amount: '20.00' }, m);
      assert.equal(answerOf(await settleOrder(gw, order.orderId, 'paid')).code, 0);
      assert.equal((await cancel(gw, m, order.reference)).code, 900);
      assert.equal(await statusOf(gw, order.orderId), 'paid');
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [['payment', 2000]]);
    });

    test('901 for a failed order', async () => {
      const m = await gw.addMerchant();
      const order = await createOrder(gw, {}, m);
      assert.equal(answerOf(await settleOrder(gw, order.orderId, 'failed')).code, 0);
      assert.equal((await cancel(gw, m, order.reference)).code, 901);
      assert.equal(await statusOf(gw, order.orderId), 'failed');
    });
  });

  describe('a cancelled order cannot be paid', () => {
    test('through the sandbox, whether or not its trade was opened; the payment page shows it final', async () => {
      const m = await gw.addMerchant();
      // Opened: the customer saw the QR, so the provider has a trade waiting for the buyer.
      const opened = await createOrder(gw, { amount: '15.00' }, m);
      const page = await gw.app.inject({ method: 'GET', url: `/pay/${opened.nonce}`, headers: { 'user-agent': PC_UA } });
      assert.equal(page.statusCode, 200);
      const trade = await sandboxOf(gw).findTradeOfOrder(opened.orderId);
      assert.equal(trade?.status, 'WAIT_BUYER_PAY');
      // Never opened.
      const unopened = await createOrder(gw, { amount: '16.00' }, m);

      for (const order of [opened, unopened]) {
        assert.equal((await cancel(gw, m, order.reference)).code, 0);
        const settled = answerOf(await settleOrder(gw, order.orderId, 'paid'));
        assert.equal(settled.status, 'canceled', JSON.stringify(settled));
        assert.equal(await statusOf(gw, order.orderId), 'canceled');
      }
      assert.equal((await sandboxOf(gw).findTradeOfOrder(opened.orderId))?.status, 'TRADE_CLOSED', 'the provider trade was closed');
      assert.equal(await sandboxOf(gw).findTradeOfOrder(unopened.orderId), undefined, 'no trade was opened for it');

      // The sandbox wallet page's confirm button changes nothing either.
      const confirm = await gw.app.inject({ method: 'POST', url: `/sandbox/wallet/${trade!.trade_no}`, payload: { outcome: 'paid' } });
      assert.equal(confirm.statusCode, 200);
      assert.equal(await statusOf(gw, opened.orderId), 'canceled');

      const redirect = await gw.app.inject({ method: 'GET', url: `/pay/${opened.nonce}`, headers: { 'user-agent': PC_UA } });
      assert.equal(redirect.statusCode, 302);
      assert.equal(new URL(String(redirect.headers.location)).searchParams.get('status'), 'cancel_or_fail');

      assert.deepEqual(await ledgerOf(gw, m.wallet_id), []);
      assert.deepEqual(await refundsOf(gw, opened.orderId), []);
    });

    test('a late paid notification for a cancelled order is booked and given back at once', async () => {
      const m = await gw.addMerchant();
      const order = await createOrder(gw, { amount: '42.00' }, m);
      await openAttemptOf(gw, order.orderId);
      assert.equal((await cancel(gw, m, order.reference)).code, 0);

      const response = await latePaidNotification(gw, order.orderId);
      assert.equal(response.statusCode, 200);
      assert.equal(response.body, 'success');
      assert.equal(await statusOf(gw, order.orderId), 'canceled');

      const [reversal, ...others] = await refundsOf(gw, order.orderId);
      assert.deepEqual(others, []);
      assert.equal(reversal.kind, 'reversal');
      assert.equal(reversal.status, 'succeeded');
      assert.equal(Number(reversal.amount_minor), 4200);
      assert.match(String(reversal.channel_refund_id), /^SBXR/);
      const ledger = await gw.store.db.selectFrom('ledger_entries').selectAll().where('order_id', '=', order.orderId).orderBy('id').execute();
      assert.deepEqual(
        ledger.map((r) => [r.kind, Number(r.amount_minor), r.refund_id]),
        [
          ['payment', 4200, null],
          ['reversal', -4200, reversal.refund_id],
        ],
      );
      assert.equal(await balanceOf(gw, m.wallet_id), 0);
      // No second callback: the merchant was told "canceled" once.
      assert.equal((await listNotificationsForOrder(gw.store.db, order.orderId)).length, 1);

      // The provider repeating its notification changes nothing.
      const again = await latePaidNotification(gw, order.orderId);
      assert.equal(again.body, 'success');
      assert.equal((await refundsOf(gw, order.orderId)).length, 1);
      assert.equal((await ledgerOf(gw, m.wallet_id)).length, 2);
    });

    test('a late payment the provider will not give back stays on record (failed reversal, money kept)', async () => {
      const m = await gw.addMerchant();
      const order = await createOrder(gw, { amount: '8.00' }, m);
      await openAttemptOf(gw, order.orderId);
      assert.equal((await cancel(gw, m, order.reference)).code, 0);
      const sandbox = sandboxOf(gw);
      sandbox.refund = async (request) => ({ refundId: request.refundId, state: 'failed', reason: 'refund window closed' });
      try {
        assert.equal((await latePaidNotification(gw, order.orderId)).body, 'success');
      } finally {
        delete (sandbox as { refund?: unknown }).refund;
      }
      const [reversal] = await refundsOf(gw, order.orderId);
      assert.equal(reversal.kind, 'reversal');
      assert.equal(reversal.status, 'failed');
      assert.equal(reversal.failure, 'refund window closed');
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [
        ['payment', 800],
        ['reversal', -800],
        ['refund_failed', 800],
      ]);
      assert.equal(await balanceOf(gw, m.wallet_id), 800);
      // Money the order should not hold: flagged for an operator, listed, and in the audit log.
      const flagged = await findOrderById(gw.store.db, order.orderId);
      assert.equal(flagged?.status, 'canceled');
      assert.match(String(flagged?.review_reason), /a late payment of 8\.00 NZD could not be given back \(refund window closed\)/);
      assert.deepEqual((await listOrders(gw.store.db, { flagged: true, userId: m.user_id, limit: 10 })).map((o) => o.order_id), [order.orderId]);
      const audit = await listAuditEvents(gw.store.db, { since: 0, limit: 10, target: order.orderId });
      assert.deepEqual(audit.map((e) => [e.action, e.actor]), [['order.cancel', m.user_id], ['order.reversal_failed', 'gateway']]);
    });

    test('a cancel racing a payment: exactly one wins, and the money follows the winner', async () => {
      const m = await gw.addMerchant();
      let paidOrders = 0;
      for (let i = 0; i < 6; i++) {
        const order = await createOrder(gw, { amount: '5.00' }, m);
        const [cancelled, settled] = await Promise.all([cancel(gw, m, order.reference), settleOrder(gw, order.orderId, 'paid')]);
        const status = await statusOf(gw, order.orderId);
        if (status === 'paid') {
          paidOrders++;
          assert.equal(cancelled.code, 900);
        } else {
          assert.equal(status, 'canceled');
          assert.equal(cancelled.code, 0);
          // Either the trade was closed before the payment, or the payment came late and was reversed.
          const refunds = await refundsOf(gw, order.orderId);
          assert.ok(refunds.length === 0 || (refunds.length === 1 && refunds[0].status === 'succeeded'), JSON.stringify(refunds));
        }
        assert.equal(answerOf(settled).code, 0);
      }
      assert.equal(await balanceOf(gw, m.wallet_id), paidOrders * 500);
    });
  });
});

describe('POST /cancel when the database fails', () => {
  test('answers 1 FAIL (retry later), leaves the order pending; a retry then succeeds', async () => {
    const gw = await createTestGateway();
    try {
      const m = gw.merchant;
      const order = await createOrder(gw, {}, m);
      if (TEST_DIALECT === 'sqlite') {
        await sql
          .raw(`CREATE TRIGGER fail_cancel BEFORE UPDATE OF status ON orders WHEN NEW.status = 'canceled' BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`)
          .execute(gw.store.db);
      } else {
        await sql
          .raw(
            `CREATE FUNCTION fail_cancel() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.status = 'canceled' THEN RAISE EXCEPTION 'disk on fire'; END IF; RETURN NEW; END $$`,
          )
          .execute(gw.store.db);
        await sql.raw(`CREATE TRIGGER fail_cancel BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION fail_cancel()`).execute(gw.store.db);
      }
      const response = await postCancel(gw, cancelFields(m, order.reference));
      assert.equal(response.statusCode, 200);
      assert.equal(answerOf(response).code, 1);
      assert.doesNotMatch(answerOf(response).message, /disk on fire/, 'no internals leak');
      assert.equal((await findOrder(gw, m.user_id, order.reference))?.status, 'pending');
      assert.equal((await listNotificationsForOrder(gw.store.db, order.orderId)).length, 0);

      await sql.raw(TEST_DIALECT === 'sqlite' ? 'DROP TRIGGER fail_cancel' : 'DROP TRIGGER fail_cancel ON orders').execute(gw.store.db);
      assert.equal((await cancel(gw, m, order.reference)).code, 0);
      assert.equal((await findOrder(gw, m.user_id, order.reference))?.status, 'canceled');
    } finally {
      await gw.close();
    }
  });
});
