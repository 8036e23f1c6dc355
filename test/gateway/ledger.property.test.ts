import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { cancel, latePaidNotification, openAttemptOf, refund } from '../helpers/money.js';
import { answerOf, createOrder, settleOrder } from '../http/support.js';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import { listLedgerEntries, walletBalance } from '../../src/store/ledger.js';

/**
 * The ledger invariant (issue 4): after any sequence of creates, payments, declines, refunds
 * (valid, too large, refused by the provider, repeated), cancels and late payments after a
 * cancel, the wallet balance equals the sum of its ledger rows, equals what the provider
 * took minus what was given back, and no order gave back more than it took. A small model
 * also predicts every answer code, so a wrong code fails the property too.
 */

type Op =
  | { kind: 'create'; cents: number; pay: boolean }
  | { kind: 'pay' | 'decline' | 'cancel' | 'latePay'; pick: number }
  | { kind: 'refund'; pick: number; size: 'part' | 'rest' | 'over' | 'again'; seed: number; providerFails: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    // Most orders are paid at once, so that refunds have something to work on.
    arbitrary: fc.record({ kind: fc.constant('create' as const), cents: fc.integer({ min: 1, max: 5_000 }), pay: fc.boolean() }),
    weight: 4,
  },
  { arbitrary: fc.record({ kind: fc.constant('pay' as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('decline' as const), pick: fc.nat() }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('latePay' as const), pick: fc.nat() }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('refund' as const),
      pick: fc.nat(),
      size: fc.constantFrom('part' as const, 'part' as const, 'rest' as const, 'over' as const, 'again' as const),
      seed: fc.nat(),
      providerFails: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    }),
    weight: 7,
  },
);

/** What the test expects of one order. */
interface ModelOrder {
  orderId: string;
  reference: string;
  cents: number;
  status: 'pending' | 'paid' | 'failed' | 'canceled';
  /** What the provider took for it (its payment, or a late payment). */
  received: number;
  /** What went back to the customer: succeeded refunds and reversals. */
  returned: number;
  /** A late payment was already reported (the provider's repeat is ignored). */
  latePaid: boolean;
  /** Succeeded merchant refunds as `amount|reference`: a repeat within the window is a duplicate. */
  done: string[];
  /** The last refund asked for, to repeat it. */
  last?: { cents: number; reference: string };
}

const money = (cents: number) => (cents / 100).toFixed(2);

async function runSequence(gw: TestGateway, merchant: CreatedMerchant, ops: Op[]): Promise<void> {
  const orders: ModelOrder[] = [];
  let refundNo = 0;
  const pick = (n: number) => orders[n % orders.length];

  for (const [step, op] of ops.entries()) {
    const where = `step ${step} ${JSON.stringify(op)}`;
    if (op.kind === 'create') {
      const created = await createOrder(gw, { amount: money(op.cents) }, merchant);
      // The customer opens the payment page: a late payment needs an attempt to arrive on.
      await openAttemptOf(gw, created.orderId);
      const order: ModelOrder = { orderId: created.orderId, reference: created.reference, cents: op.cents, status: 'pending', received: 0, returned: 0, latePaid: false, done: [] };
      orders.push(order);
      if (op.pay) {
        assert.equal(answerOf(await settleOrder(gw, order.orderId, 'paid')).status, 'paid', where);
        order.status = 'paid';
        order.received = order.cents;
      }
      continue;
    }
    if (orders.length === 0) continue;
    // Each operation goes mostly to the orders where it matters (refunds to paid orders,
    // cancels to pending ones, late payments to cancelled or failed ones), now and then to any.
    const likely = orders.filter((o) =>
      op.kind === 'refund' ? o.status === 'paid' : op.kind === 'cancel' || op.kind === 'pay' ? o.status === 'pending' : op.kind === 'latePay' ? o.status === 'canceled' || o.status === 'failed' : true,
    );
    const order = likely.length > 0 && op.pick % 5 !== 0 ? likely[Math.floor(op.pick / 5) % likely.length] : pick(op.pick);

    if (op.kind === 'pay' || op.kind === 'decline') {
      const answer = answerOf(await settleOrder(gw, order.orderId, op.kind === 'pay' ? 'paid' : 'failed'));
      assert.equal(answer.code, 0, where);
      if (order.status === 'pending') {
        order.status = op.kind === 'pay' ? 'paid' : 'failed';
        if (op.kind === 'pay') order.received += order.cents;
      }
      assert.equal(answer.status, order.status, where);
    } else if (op.kind === 'cancel') {
      const expected = { pending: 0, canceled: 0, paid: 900, failed: 901 }[order.status];
      assert.equal((await cancel(gw, merchant, order.reference)).code, expected, where);
      if (order.status === 'pending') order.status = 'canceled';
    } else if (op.kind === 'latePay') {
      const response = await latePaidNotification(gw, order.orderId);
      assert.equal(response.body, 'success', where);
      if (order.status === 'pending') {
        order.status = 'paid';
        order.received += order.cents;
      } else if ((order.status === 'canceled' || order.status === 'failed') && !order.latePaid) {
        order.latePaid = true;
        order.received += order.cents;
        order.returned += order.cents; // the reversal
      }
      if (order.status !== 'paid') order.latePaid = true;
    } else if (op.kind === 'refund') {
      const left = order.status === 'paid' ? order.received - order.returned : order.cents;
      const again = op.size === 'again' ? order.last : undefined;
      const cents = again
        ? again.cents
        : op.size === 'rest'
          ? left
          : op.size === 'over'
            ? left + 1 + (op.seed % 500)
            : 1 + (op.seed % Math.max(1, Math.floor(left / 2)));
      const reference = again ? again.reference : `${op.providerFails ? 'sandbox:fail-refund ' : ''}r${refundNo++}`;
      order.last = { cents, reference };
      const providerRefuses = reference.includes('sandbox:fail-refund');
      let expected: number;
      if (cents <= 0) expected = 550;
      else if (order.status !== 'paid') expected = 556;
      else if (order.done.includes(`${cents}|${reference}`)) expected = 562;
      else if (cents > left) expected = 550;
      else if (providerRefuses) expected = 556;
      else expected = 0;
      const answer = await refund(gw, merchant, order.orderId, cents > 0 ? money(cents) : '0.00', reference);
      assert.equal(answer.code, expected, `${where}: ${answer.message}`);
      if (expected === 0) {
        order.returned += cents;
        order.done.push(`${cents}|${reference}`);
      }
    }
  }

  // The invariant, from the database.
  const db = gw.store.db;
  const ledger = await listLedgerEntries(db, merchant.wallet_id);
  const ledgerSum = ledger.reduce((sum, row) => sum + Number(row.amount_minor), 0);
  const balance = await walletBalance(db, merchant.wallet_id);
  assert.equal(balance, ledgerSum, 'balance = sum of the ledger rows');
  assert.ok(balance >= 0, `balance ${balance} is not negative`);

  const refunds = await db.selectFrom('refunds').selectAll().where('wallet_id', '=', merchant.wallet_id).execute();
  const succeeded = refunds.filter((r) => r.status === 'succeeded').reduce((sum, r) => sum + Number(r.amount_minor), 0);
  assert.ok(refunds.every((r) => r.status !== 'pending'), 'no refund is left pending');
  const payments = ledger.filter((r) => r.kind === 'payment').reduce((sum, r) => sum + Number(r.amount_minor), 0);
  assert.equal(balance, payments - succeeded, 'balance = Σ paid − Σ succeeded refunds');

  // …and against the model: what the provider took, minus what went back.
  const received = orders.reduce((sum, o) => sum + o.received, 0);
  const returned = orders.reduce((sum, o) => sum + o.returned, 0);
  assert.equal(payments, received, 'every payment the provider reported is booked once');
  assert.equal(balance, received - returned);

  for (const order of orders) {
    const back = refunds.filter((r) => r.order_id === order.orderId && r.status === 'succeeded').reduce((sum, r) => sum + Number(r.amount_minor), 0);
    assert.ok(back <= order.received, `order ${order.orderId} gave back ${back} of ${order.received}`);
    assert.equal(back, order.returned);
    const rows = await db.selectFrom('orders').select('status').where('order_id', '=', order.orderId).executeTakeFirstOrThrow();
    assert.equal(rows.status, order.status);
  }
}

let gw: TestGateway;
before(async () => {
  // A window longer than any run, so "within the window" never depends on the clock.
  gw = await createTestGateway({ env: { REFUND_DUPLICATE_WINDOW_SECONDS: '3600' } });
});
after(async () => {
  await gw.close();
});

test('ledger: balance = Σ rows = Σ paid − Σ refunded after any sequence; no order over-refunded', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 20, size: 'max' }), async (ops) => {
      // Each run on a wallet of its own, starting at a zero balance.
      const merchant = await gw.addMerchant({ name: 'Property Shop' });
      assert.equal(await walletBalance(gw.store.db, merchant.wallet_id), 0);
      await runSequence(gw, merchant, ops);
    }),
    { numRuns: 30 },
  );
});
