import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import {
  balanceOf,
  ledgerOf,
  ledgerSum,
  paidOrder,
  postRefund,
  refund,
  refundFields,
  refundsOf,
  sandboxOf,
  sortedSignature,
} from '../helpers/money.js';
import { resumeOpenRefunds } from '../../src/gateway/execute-refund.js';
import { appendLedgerEntry } from '../../src/store/ledger.js';
import { assignWallet, insertUser } from '../../src/store/merchants.js';
import { answerOf, createOrder, hmac, settleOrder } from './support.js';

/** The wallet state a rejected refund must leave untouched. */
async function moneySnapshot(gw: TestGateway, walletId: string, orderId: string) {
  return JSON.stringify({ ledger: await ledgerOf(gw, walletId), refunds: await refundsOf(gw, orderId) });
}

describe('POST /refund and /v2/refund', () => {
  let gw: TestGateway;
  // The gateway's clock, which a test may move forward (the duplicate window).
  let skewMs = 0;
  before(async () => {
    gw = await createTestGateway({ clock: () => Date.now() + skewMs });
  });
  after(async () => {
    await gw.close();
  });

  describe('code 0: refunds', () => {
    test('a partial refund: its own id, succeeded at the provider, a ledger debit, the balance drawn down', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '120.00');
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [['payment', 12000]]);
      assert.equal(await balanceOf(gw, m.wallet_id), 12000);

      const response = await postRefund(gw, refundFields(m, order.orderId, '20.00', 'broken cork'));
      assert.equal(response.statusCode, 200);
      const answer = answerOf(response);
      assert.equal(answer.code, 0, response.body);
      assert.equal(answer.message, 'SUCCESS');
      assert.match(String(answer.refund_id), /^R\d{30}$/);

      const [row] = await refundsOf(gw, order.orderId);
      assert.equal(row.refund_id, answer.refund_id);
      assert.equal(row.status, 'succeeded');
      assert.equal(row.kind, 'merchant');
      assert.equal(Number(row.amount_minor), 2000);
      assert.equal(row.reference, 'broken cork');
      assert.match(String(row.channel_refund_id), /^SBXR/);
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [
        ['payment', 12000],
        ['refund', -2000],
      ]);
      assert.equal(await balanceOf(gw, m.wallet_id), 10000);
    });

    test('repeated partial refunds up to exactly the paid amount, then nothing more (550)', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '120.00');
      const ids = new Set<string>();
      for (const [amount, reference] of [
        ['50.00', 'first'],
        ['50', 'second'],
        ['19.99', 'third'],
        ['0.01', 'last cent'],
      ]) {
        const answer = await refund(gw, m, order.orderId, amount, reference);
        assert.equal(answer.code, 0, `${amount}: ${answer.message}`);
        ids.add(String(answer.refund_id));
      }
      assert.equal(ids.size, 4, 'each refund has its own id');
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [
        ['payment', 12000],
        ['refund', -5000],
        ['refund', -5000],
        ['refund', -1999],
        ['refund', -1],
      ]);
      assert.equal(await balanceOf(gw, m.wallet_id), 0);

      const before = await ledgerOf(gw, m.wallet_id);
      assert.equal((await refund(gw, m, order.orderId, '0.01', 'one more')).code, 550);
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), before);
      assert.deepEqual(
        (await refundsOf(gw, order.orderId)).map((r) => r.status),
        ['succeeded', 'succeeded', 'succeeded', 'succeeded'],
      );
    });

    test('/v2/refund answers like /refund', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '30.00');
      const answer = answerOf(await postRefund(gw, refundFields(m, order.orderId, '10.00', 'omnipay'), '/v2/refund'));
      assert.equal(answer.code, 0, answer.message);
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [
        ['payment', 3000],
        ['refund', -1000],
      ]);
      // The same request on the other path is the same refund: a duplicate.
      assert.equal(answerOf(await postRefund(gw, refundFields(m, order.orderId, '10.00', 'omnipay'), '/refund')).code, 562);
    });

    test('the older /finance/refund answers like /refund', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '30.00');
      const answer = answerOf(await postRefund(gw, refundFields(m, order.orderId, '12.00', 'older'), '/finance/refund'));
      assert.equal(answer.code, 0, answer.message);
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [
        ['payment', 3000],
        ['refund', -1200],
      ]);
      const forged = answerOf(await postRefund(gw, { ...refundFields(m, order.orderId, '1.00', 'forged'), signature: '0'.repeat(64) }, '/finance/refund'));
      assert.equal(forged.code, 206);
    });

    test('a form-encoded body', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '30.00');
      const response = await gw.app.inject({
        method: 'POST',
        url: '/refund',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(refundFields(m, order.orderId, '7.50', 'form & co')).toString(),
      });
      assert.equal(answerOf(response).code, 0, response.body);
      assert.equal((await refundsOf(gw, order.orderId))[0].reference, 'form & co');
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [
        ['payment', 3000],
        ['refund', -750],
      ]);
    });

    test('the spec vector (api_key 111222333): sorted order_id, reference, refund_amount, user_id', async () => {
      const vector = { ...gw.merchant, user_id: 'U000334333', api_key: '111222333' };
      await insertUser(
        gw.store.db,
        { id: vector.user_id, organisation_id: gw.merchant.organisation_id, name: 'Vector user', api_key_sealed: gw.secrets.seal(vector.api_key), active: 1 },
        Date.now(),
      );
      await assignWallet(gw.store.db, gw.merchant.wallet_id, vector.user_id);
      const created = await createOrder(gw, { amount: '120.00' }, vector);
      // The vector's order id; the order has no trade or callback yet, so nothing else names it.
      await gw.store.db.updateTable('orders').set({ order_id: '23479798sdf7987234' }).where('order_id', '=', created.orderId).execute();
      assert.equal(answerOf(await settleOrder(gw, '23479798sdf7987234', 'paid')).code, 0);

      const body = {
        user_id: 'U000334333',
        order_id: '23479798sdf7987234',
        refund_amount: '120.00',
        reference: 'notes about this refund',
        signature: '3052b51072570b743bf9a12a20a45b0adf280aee84907ef0e54d1079fb3f961c',
      };
      assert.equal(
        sortedSignature({ order_id: body.order_id, reference: body.reference, refund_amount: body.refund_amount, user_id: body.user_id }, '111222333'),
        body.signature,
      );
      const answer = answerOf(await postRefund(gw, body));
      assert.equal(answer.code, 0, answer.message);
      assert.deepEqual(
        (await refundsOf(gw, '23479798sdf7987234')).map((r) => [r.status, Number(r.amount_minor)]),
        [['succeeded', 12000]],
      );
    });

    test('an empty reference, signed without it or (the Ruby client) with `reference=`', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '10.00');
      const withoutIt = refundFields(m, order.orderId, '1.00', '');
      assert.equal(answerOf(await postRefund(gw, withoutIt)).code, 0);

      const fields = { user_id: m.user_id, order_id: order.orderId, refund_amount: '2.00', reference: '' };
      const ruby = { ...fields, signature: sortedSignature(fields, m.api_key, true) };
      assert.notEqual(ruby.signature, sortedSignature(fields, m.api_key), 'the test exercises the keep-empty form');
      assert.equal(answerOf(await postRefund(gw, ruby)).code, 0);

      const absent = { user_id: m.user_id, order_id: order.orderId, refund_amount: '3.00' };
      assert.equal(answerOf(await postRefund(gw, { ...absent, signature: sortedSignature(absent, m.api_key) })).code, 0);
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [
        ['payment', 1000],
        ['refund', -100],
        ['refund', -200],
        ['refund', -300],
      ]);
    });

    test('a JSON number amount and the received-order signature', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '10.00');
      const message = `user_id=${m.user_id}&order_id=${order.orderId}&refund_amount=2.5&reference=numeric${m.api_key}`;
      const body = { user_id: m.user_id, order_id: order.orderId, refund_amount: 2.5, reference: 'numeric', signature: hmac(m.api_key, message) };
      assert.equal(answerOf(await postRefund(gw, body)).code, 0);
      assert.deepEqual(await ledgerOf(gw, m.wallet_id, order.orderId), [
        ['payment', 1000],
        ['refund', -250],
      ]);
    });
  });

  describe('204, 205, 206', () => {
    for (const field of ['user_id', 'order_id', 'refund_amount', 'signature']) {
      test(`204 when ${field} is missing or empty`, async () => {
        const m = await gw.addMerchant();
        const order = await paidOrder(gw, m, '10.00');
        const before = await moneySnapshot(gw, m.wallet_id, order.orderId);
        const fields = refundFields(m, order.orderId, '1.00', 'x');
        const { [field]: _dropped, ...without } = fields;
        assert.equal(answerOf(await postRefund(gw, without)).code, 204);
        assert.equal(answerOf(await postRefund(gw, { ...fields, [field]: '' })).code, 204);
        assert.equal(await moneySnapshot(gw, m.wallet_id, order.orderId), before);
      });
    }

    test('205 for an unknown user and for a disabled one', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '10.00');
      const unknown = { ...m, user_id: 'U999999999' };
      assert.equal(answerOf(await postRefund(gw, refundFields(unknown, order.orderId, '1.00', 'x'))).code, 205);

      const disabled = await gw.addMerchant({ name: 'Disabled Shop' });
      const theirs = await paidOrder(gw, disabled, '10.00');
      await gw.store.db.updateTable('users').set({ active: 0 }).where('id', '=', disabled.user_id).execute();
      gw.app.gateway.credentials.forget(disabled.user_id);
      assert.equal(answerOf(await postRefund(gw, refundFields(disabled, theirs.orderId, '1.00', 'x'))).code, 205);
      assert.deepEqual(await ledgerOf(gw, disabled.wallet_id), [['payment', 1000]]);
    });

    test('206 for a wrong signature, and for any changed field', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '10.00');
      const before = await moneySnapshot(gw, m.wallet_id, order.orderId);
      const fields = refundFields(m, order.orderId, '1.00', 'x');
      assert.equal(answerOf(await postRefund(gw, { ...fields, signature: 'ab'.repeat(32) })).code, 206);
      assert.equal(answerOf(await postRefund(gw, { ...fields, refund_amount: '9.00' })).code, 206);
      assert.equal(answerOf(await postRefund(gw, { ...fields, reference: 'y' })).code, 206);
      const other = await gw.addMerchant();
      assert.equal(answerOf(await postRefund(gw, { ...fields, signature: refundFields(other, order.orderId, '1.00', 'x').signature })).code, 206);
      assert.equal(await moneySnapshot(gw, m.wallet_id, order.orderId), before);
    });
  });

  describe('550 refund parameters wrong', () => {
    for (const amount of ['abc', '0', '0.00', '-1.00', '12.345', '1e3', ' 1.00']) {
      test(`refund_amount ${JSON.stringify(amount)}`, async () => {
        const m = await gw.addMerchant();
        const order = await paidOrder(gw, m, '20.00');
        const before = await moneySnapshot(gw, m.wallet_id, order.orderId);
        assert.equal((await refund(gw, m, order.orderId, amount, 'x')).code, 550);
        assert.equal(await moneySnapshot(gw, m.wallet_id, order.orderId), before);
      });
    }

    test('more than the paid amount, at once or in total', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '20.00');
      assert.equal((await refund(gw, m, order.orderId, '20.01', 'too much')).code, 550);
      assert.equal((await refund(gw, m, order.orderId, '15.00', 'most')).code, 0);
      assert.equal((await refund(gw, m, order.orderId, '5.01', 'over the rest')).code, 550);
      assert.equal((await refund(gw, m, order.orderId, '5.00', 'the rest')).code, 0);
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [
        ['payment', 2000],
        ['refund', -1500],
        ['refund', -500],
      ]);
    });

    test('a reference longer than 255 characters', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '20.00');
      assert.equal((await refund(gw, m, order.orderId, '1.00', 'r'.repeat(256))).code, 550);
      assert.equal((await refund(gw, m, order.orderId, '1.00', 'r'.repeat(255))).code, 0);
    });

    test('a body that is not an object of values', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '20.00');
      const fields = refundFields(m, order.orderId, '1.00', 'x');
      assert.equal(answerOf(await postRefund(gw, { ...fields, reference: { nested: true } })).code, 550);
      assert.equal(answerOf(await postRefund(gw, [fields])).code, 550);
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [['payment', 2000]]);
    });
  });

  describe('551 order not found', () => {
    test('an unknown order id', async () => {
      const m = await gw.addMerchant();
      assert.equal((await refund(gw, m, '20990101000000000000000000', '1.00', 'x')).code, 551);
    });

    test("another user's order, even correctly signed by the caller", async () => {
      const owner = await gw.addMerchant();
      const order = await paidOrder(gw, owner, '20.00');
      const stranger = await gw.addMerchant();
      assert.equal((await refund(gw, stranger, order.orderId, '1.00', 'x')).code, 551);
      assert.deepEqual(await ledgerOf(gw, owner.wallet_id), [['payment', 2000]]);
      assert.deepEqual(await refundsOf(gw, order.orderId), []);
    });
  });

  describe('556 the refund could not be created', () => {
    test('a pending order, a failed order', async () => {
      const m = await gw.addMerchant();
      const pending = await createOrder(gw, { amount: '20.00' }, m);
      assert.equal((await refund(gw, m, pending.orderId, '1.00', 'x')).code, 556);
      const failed = await createOrder(gw, { amount: '20.00' }, m);
      assert.equal(answerOf(await settleOrder(gw, failed.orderId, 'failed')).code, 0);
      assert.equal((await refund(gw, m, failed.orderId, '1.00', 'x')).code, 556);
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), []);
    });

    test('the provider refuses (sandbox: a reference containing sandbox:fail-refund): recorded as failed, the money credited back', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '20.00');
      const answer = await refund(gw, m, order.orderId, '5.00', 'please sandbox:fail-refund');
      assert.equal(answer.code, 556);
      const [failed] = await refundsOf(gw, order.orderId);
      assert.equal(failed.status, 'failed');
      assert.ok(failed.failure && failed.failure.length > 0);
      assert.equal(failed.channel_refund_id, null);
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [
        ['payment', 2000],
        ['refund', -500],
        ['refund_failed', 500],
      ]);
      assert.equal(await balanceOf(gw, m.wallet_id), 2000);

      // Asking again is not a duplicate (nothing was refunded); the provider refuses again.
      assert.equal((await refund(gw, m, order.orderId, '5.00', 'please sandbox:fail-refund')).code, 556);
      // A failed refund does not count against what is left: the whole amount can still go back.
      assert.equal((await refund(gw, m, order.orderId, '20.00', 'all of it')).code, 0);
      assert.equal(await balanceOf(gw, m.wallet_id), 0);
      assert.equal(await ledgerSum(gw, m.wallet_id), 0);
      assert.deepEqual(
        (await refundsOf(gw, order.orderId)).map((r) => r.status).sort(),
        ['failed', 'failed', 'succeeded'],
      );
    });
  });

  describe('559 insufficient balance', () => {
    test('the wallet balance was drawn down below what is left to refund', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '50.00');
      // Money left the wallet otherwise (a payout to the merchant's bank, booked by an operator).
      await appendLedgerEntry(gw.store.db, {
        wallet_id: m.wallet_id,
        order_id: order.orderId,
        refund_id: null,
        kind: 'payout',
        amount_minor: -4000,
        currency: 'NZD',
        created_at: Date.now(),
      });
      assert.equal(await balanceOf(gw, m.wallet_id), 1000);
      assert.equal((await refund(gw, m, order.orderId, '10.01', 'more than the balance')).code, 559);
      assert.deepEqual(await refundsOf(gw, order.orderId), []);
      assert.equal((await refund(gw, m, order.orderId, '10.00', 'all of the balance')).code, 0);
      assert.equal(await balanceOf(gw, m.wallet_id), 0);
      assert.equal((await refund(gw, m, order.orderId, '0.01', 'one cent')).code, 559);
      assert.equal(await balanceOf(gw, m.wallet_id), 0);
    });
  });

  describe('562 duplicate', () => {
    test('the same order, amount and reference again refunds nothing; another amount or reference is a new refund', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '50.00');
      assert.equal((await refund(gw, m, order.orderId, '10.00', 'dup')).code, 0);
      assert.equal((await refund(gw, m, order.orderId, '10.00', 'dup')).code, 562);
      assert.equal((await refund(gw, m, order.orderId, '10', 'dup')).code, 562, 'the same amount written differently');
      assert.equal((await refund(gw, m, order.orderId, '10.00', 'dup 2')).code, 0);
      assert.equal((await refund(gw, m, order.orderId, '11.00', 'dup')).code, 0);
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [
        ['payment', 5000],
        ['refund', -1000],
        ['refund', -1000],
        ['refund', -1100],
      ]);
    });

    test('identical requests at once: one refund, the others 562', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '50.00');
      const answers = await Promise.all(Array.from({ length: 8 }, () => refund(gw, m, order.orderId, '3.00', 'double click')));
      assert.deepEqual(answers.map((a) => a.code).sort((a, b) => a - b), [0, 562, 562, 562, 562, 562, 562, 562]);
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [
        ['payment', 5000],
        ['refund', -300],
      ]);
    });

    test('after the window (REFUND_DUPLICATE_WINDOW_SECONDS, 60 s) the same request is a new refund', async () => {
      const m = await gw.addMerchant();
      const order = await paidOrder(gw, m, '50.00');
      assert.equal((await refund(gw, m, order.orderId, '4.00', 'weekly')).code, 0);
      skewMs += 59_000;
      assert.equal((await refund(gw, m, order.orderId, '4.00', 'weekly')).code, 562);
      skewMs += 2_000;
      assert.equal((await refund(gw, m, order.orderId, '4.00', 'weekly')).code, 0);
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [
        ['payment', 5000],
        ['refund', -400],
        ['refund', -400],
      ]);
    });
  });
});

describe('a provider that does not answer', () => {
  test('the refund stays pending with its money reserved (556), and is settled when asked again later', async () => {
    let skewMs = 0;
    const gw = await createTestGateway({ clock: () => Date.now() + skewMs });
    try {
      const m = gw.merchant;
      const order = await paidOrder(gw, m, '10.00');
      const sandbox = sandboxOf(gw);
      sandbox.refund = async () => {
        throw new Error('connect ETIMEDOUT');
      };
      assert.equal((await refund(gw, m, order.orderId, '4.00', 'lost in the network')).code, 556);
      assert.equal((await refund(gw, m, order.orderId, '6.00', 'sandbox:fail-refund')).code, 556);
      assert.deepEqual((await refundsOf(gw, order.orderId)).map((r) => r.status), ['pending', 'pending']);
      assert.equal(await balanceOf(gw, m.wallet_id), 0, 'both pending refunds hold their money');
      // Nothing is left to refund while they are pending, and the same request is a duplicate.
      assert.equal((await refund(gw, m, order.orderId, '0.01', 'x')).code, 550);
      assert.equal((await refund(gw, m, order.orderId, '4.00', 'lost in the network')).code, 562);

      delete (sandbox as { refund?: unknown }).refund; // the provider answers again
      assert.equal(await resumeOpenRefunds(gw.app.gateway, 60_000), 0, 'too recent to be asked again');
      skewMs += 61_000;
      // Two instances resuming at once: each stale refund is asked of the provider once.
      let asked = 0;
      const original = sandbox.refund.bind(sandbox);
      sandbox.refund = async (request: Parameters<typeof original>[0]) => (asked++, original(request));
      const settled = await Promise.all([resumeOpenRefunds(gw.app.gateway, 60_000), resumeOpenRefunds(gw.app.gateway, 60_000)]);
      assert.equal(settled[0] + settled[1], 2);
      assert.equal(asked, 2, 'each refund asked once');
      assert.deepEqual(
        (await refundsOf(gw, order.orderId)).map((r) => [r.reference, r.status]).sort(),
        [
          ['lost in the network', 'succeeded'],
          ['sandbox:fail-refund', 'failed'],
        ],
      );
      assert.deepEqual(await ledgerOf(gw, m.wallet_id), [
        ['payment', 1000],
        ['refund', -400],
        ['refund', -600],
        ['refund_failed', 600],
      ]);
      assert.equal(await resumeOpenRefunds(gw.app.gateway, 60_000), 0, 'nothing left pending');
    } finally {
      await gw.close();
    }
  });
});

describe('REFUND_DUPLICATE_WINDOW_SECONDS=0', () => {
  test('turns duplicate detection off', async () => {
    const gw = await createTestGateway({ env: { REFUND_DUPLICATE_WINDOW_SECONDS: '0' } });
    try {
      const order = await paidOrder(gw, gw.merchant, '10.00');
      assert.equal((await refund(gw, gw.merchant, order.orderId, '1.00', 'same')).code, 0);
      assert.equal((await refund(gw, gw.merchant, order.orderId, '1.00', 'same')).code, 0);
      assert.equal(await balanceOf(gw, gw.merchant.wallet_id), 800);
    } finally {
      await gw.close();
    }
  });
});
