import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { createTestGateway } from '../helpers/gateway.js';
import { paidOrder } from '../helpers/money.js';
import { listLedgerEntries, walletBalance } from '../../src/store/ledger.js';
import { listRefundsForOrder } from '../../src/store/refunds.js';
import { cleanupStack, sortedSignature, type LatipayAnswer } from './helpers.js';

/**
 * Spec §4.7: concurrent refunds must never over-refund. Fifty refunds of 1.00 of one 10.00
 * order arrive at once over real sockets (each its own connection); exactly ten may succeed.
 */
test('50 concurrent refunds of 1.00 against a 10.00 order: exactly 10 succeed, nothing over-refunded', async (t) => {
  const defer = cleanupStack(t);
  const gw = await createTestGateway();
  defer(() => gw.close());
  await gw.app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${(gw.app.server.address() as AddressInfo).port}`;
  const { merchant } = gw;
  const order = await paidOrder(gw, merchant, '10.00');
  assert.equal(await walletBalance(gw.store.db, merchant.wallet_id), 1000);

  // Watch the balance while the storm runs: it must never go below zero.
  let storming = true;
  let lowestBalance = Infinity;
  const watcher = (async () => {
    while (storming) {
      lowestBalance = Math.min(lowestBalance, await walletBalance(gw.store.db, merchant.wallet_id));
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();

  const requests = Array.from({ length: 50 }, async (_, i): Promise<LatipayAnswer> => {
    const fields = { user_id: merchant.user_id, order_id: order.orderId, refund_amount: '1.00', reference: `refund #${i}` };
    const response = await fetch(`${baseUrl}/refund`, {
      method: 'POST',
      headers: { 'content-type': 'application/json;charset=UTF-8', connection: 'close' },
      body: JSON.stringify({ ...fields, signature: sortedSignature(fields, merchant.api_key) }),
    });
    assert.equal(response.status, 200);
    return (await response.json()) as LatipayAnswer;
  });
  const answers = await Promise.all(requests);
  storming = false;
  await watcher;

  const succeeded = answers.filter((a) => a.code === 0);
  const refused = answers.filter((a) => a.code !== 0);
  assert.equal(succeeded.length, 10, JSON.stringify(answers.map((a) => a.code)));
  assert.equal(refused.length, 40);
  for (const answer of refused) assert.equal(answer.code, 550, answer.message);
  assert.equal(new Set(succeeded.map((a) => a.refund_id)).size, 10);

  const refunds = await listRefundsForOrder(gw.store.db, order.orderId);
  assert.equal(refunds.length, 10);
  assert.ok(refunds.every((r) => r.status === 'succeeded' && Number(r.amount_minor) === 100));

  const ledger = (await listLedgerEntries(gw.store.db, merchant.wallet_id)).filter((r) => r.order_id === order.orderId);
  assert.equal(ledger.filter((r) => r.kind === 'payment').length, 1);
  assert.equal(ledger.filter((r) => r.kind === 'refund').length, 10);
  assert.equal(
    ledger.reduce((sum, r) => sum + Number(r.amount_minor), 0),
    0,
    'the order gave back exactly what it took',
  );
  // In the order the rows were written, the running balance never dipped below zero.
  let running = 0;
  for (const row of ledger) {
    running += Number(row.amount_minor);
    assert.ok(running >= 0, `balance ${running} after ledger row ${row.id}`);
  }
  assert.ok(lowestBalance >= 0, `lowest balance seen: ${lowestBalance}`);
  assert.equal(await walletBalance(gw.store.db, merchant.wallet_id), 0);
});
