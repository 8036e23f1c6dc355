import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { createTestDatabase } from '../helpers/database.js';
import {
  attributeOf,
  cleanupStack,
  createMerchantViaCli,
  createTransaction,
  failFirst,
  hmac,
  newReference,
  newSecretKey,
  PC_USER_AGENT,
  queryTransaction,
  resultSignature,
  settleOrder,
  sleep,
  startGatewayProcess,
  startMerchantServer,
  within,
  type CallbackScript,
  type CreatedMerchant,
  type GatewayProcess,
  type MerchantServer,
  type ReceivedCallback,
} from './helpers.js';

// The whole journey over real sockets: a merchant's server creates a payment, a customer
// opens the hosted page and pays in the sandbox wallet, the merchant's callback endpoint
// is retried until it says `sent`, the browser returns signed, and the query agrees.

const RETRY_SECONDS = 1;
const TEST_TIMEOUT_MS = 120_000;

interface Setup {
  gateway: GatewayProcess;
  merchant: CreatedMerchant;
  shop: MerchantServer;
}

async function setUp(t: TestContext, script: CallbackScript): Promise<Setup> {
  const cleanup = cleanupStack(t);
  const database = await createTestDatabase();
  cleanup(() => database.cleanup());
  const secretKey = newSecretKey();
  const merchant = await createMerchantViaCli(database.url, database.dataDir, secretKey);
  const shop = await startMerchantServer(script);
  cleanup(() => shop.close());
  const gateway = await startGatewayProcess({
    databaseUrl: database.url,
    dataDir: database.dataDir,
    secretKey,
    env: { NOTIFY_RETRY_SECONDS: String(RETRY_SECONDS), LONG_POLL_SECONDS: '30' },
  });
  cleanup(async () => {
    gateway.kill();
    await gateway.exited;
  });
  return { gateway, merchant, shop };
}

/** The merchant's checkout: creates the payment and checks the signed answer. */
async function checkout(setup: Setup, paymentMethod: string, reference = newReference()) {
  const { gateway, merchant, shop } = setup;
  const { answer } = await createTransaction(gateway.baseUrl, merchant, {
    payment_method: paymentMethod,
    merchant_reference: reference,
    callback_url: shop.callbackUrl,
    return_url: shop.returnUrl,
  });
  assert.equal(answer.code, 0, JSON.stringify(answer));
  assert.equal(answer.message, 'SUCCESS');
  const hostUrl = String(answer.host_url);
  const nonce = String(answer.nonce);
  assert.equal(hostUrl, `${gateway.baseUrl}/pay`);
  assert.match(nonce, /^[0-9a-f]{64}$/);
  assert.equal(answer.signature, hmac(merchant.api_key, nonce + hostUrl));
  return { reference, hostUrl, nonce, pageUrl: `${hostUrl}/${nonce}` };
}

/** The customer's browser on a PC: opens the page, follows the QR to the sandbox wallet, answers `outcome`. */
async function payInSandboxWallet(gateway: GatewayProcess, pageUrl: string, outcome: 'paid' | 'failed'): Promise<void> {
  const page = await fetch(pageUrl, { headers: { 'user-agent': PC_USER_AGENT } });
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  const html = await page.text();
  assert.match(html, /data-test="qr"/);
  assert.match(html, /<svg/, 'the page shows the QR code itself');
  const qrUrl = attributeOf(html, 'data-qr-url');
  assert.ok(qrUrl, 'the page names the QR URL');
  assert.ok(qrUrl.startsWith(`${gateway.baseUrl}/sandbox/wallet/`), qrUrl);

  const wallet = await fetch(qrUrl, { headers: { 'user-agent': PC_USER_AGENT } });
  assert.equal(wallet.status, 200);
  const walletHtml = await wallet.text();
  assert.match(walletHtml, /data-test="confirm"/);
  assert.match(walletHtml, /120\.00/);

  const settled = await fetch(qrUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': PC_USER_AGENT },
    body: new URLSearchParams({ outcome }).toString(),
  });
  assert.equal(settled.status, 200);
  const settledHtml = await settled.text();
  assert.match(settledHtml, new RegExp(`data-status="${outcome === 'paid' ? 'TRADE_SUCCESS' : 'TRADE_CLOSED'}"`));
}

function assertSignedCallback(callback: ReceivedCallback, merchant: CreatedMerchant, expected: { reference: string; method: string; status: string }) {
  const { fields } = callback;
  assert.match(callback.contentType, /^application\/x-www-form-urlencoded/);
  assert.deepEqual(Object.keys(fields).sort(), [
    'amount',
    'currency',
    'merchant_reference',
    'order_id',
    'pay_time',
    'payment_method',
    'signature',
    'status',
  ]);
  assert.equal(fields.merchant_reference, expected.reference);
  assert.equal(fields.payment_method, expected.method);
  assert.equal(fields.status, expected.status);
  assert.equal(fields.currency, 'NZD');
  assert.equal(fields.amount, '120.00');
  assert.match(fields.order_id, /^\d{8,}$/);
  assert.match(fields.pay_time, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  assert.equal(
    fields.signature,
    hmac(merchant.api_key, fields.merchant_reference + fields.payment_method + fields.status + fields.currency + fields.amount),
  );
}

/** GET /pay/{nonce} of a settled order: the signed 302 to return_url; follows it to the merchant. */
async function assertReturnRedirect(setup: Setup, pageUrl: string, expected: { reference: string; method: string; status: string }) {
  const { merchant, shop } = setup;
  const response = await fetch(pageUrl, { redirect: 'manual', headers: { 'user-agent': PC_USER_AGENT } });
  assert.equal(response.status, 302);
  await response.arrayBuffer();
  const location = response.headers.get('location') ?? '';
  assert.ok(location.startsWith(`${shop.returnUrl}?`), location);
  const query = Object.fromEntries(new URL(location).searchParams);
  assert.deepEqual(query, {
    merchant_reference: expected.reference,
    payment_method: expected.method,
    status: expected.status,
    currency: 'NZD',
    amount: '120.00',
    signature: resultSignature(
      { merchant_reference: expected.reference, payment_method: expected.method, status: expected.status, currency: 'NZD', amount: '120.00' },
      merchant.api_key,
    ),
  });
  // The browser lands on the merchant's return page with the same signed fields.
  const landed = await fetch(location);
  assert.equal(landed.status, 200);
  await landed.arrayBuffer();
  assert.deepEqual(shop.returns.at(-1)?.query, query);
}

for (const method of ['alipay', 'wechat'] as const) {
  test(`a ${method} payment: page, sandbox wallet, callback retried until sent, signed return, query and long-poll`, { timeout: TEST_TIMEOUT_MS }, async (t) => {
    const setup = await setUp(t, failFirst(1));
    const { gateway, merchant, shop } = setup;
    const { reference, pageUrl } = await checkout(setup, method);

    await payInSandboxWallet(gateway, pageUrl, 'paid');

    // The first callback is refused, so it comes again a retry period later, and is accepted.
    const [first, second] = await shop.waitForCallbacks(reference, 2, 15_000);
    assert.equal(first.answer, 'fail');
    assert.equal(second.answer, 'sent');
    assert.ok(
      second.receivedAt - first.receivedAt >= RETRY_SECONDS * 1000 - 10,
      `the retry came ${second.receivedAt - first.receivedAt} ms after the refused callback`,
    );
    assertSignedCallback(first, merchant, { reference, method, status: 'paid' });
    assert.deepEqual(second.fields, first.fields, 'a retry re-sends the same callback');

    // Accepted: nothing more comes for this order, though retries are due every second.
    await sleep(2_500);
    assert.equal(shop.callbacksFor(reference).length, 2, 'no callback after the merchant answered sent');

    await assertReturnRedirect(setup, pageUrl, { reference, method, status: 'paid' });

    // The query agrees with the callback, signed in the sorted form and in the legacy one.
    const sorted = await queryTransaction(gateway.baseUrl, merchant, reference);
    const legacy = await queryTransaction(gateway.baseUrl, merchant, reference, { signature: hmac(merchant.api_key, reference + merchant.user_id) });
    for (const answer of [sorted, legacy]) {
      assert.equal(answer.code, 0, JSON.stringify(answer));
      assert.equal(answer.status, 'paid');
      assert.equal(answer.order_id, first.fields.order_id);
      assert.equal(answer.amount, '120.00');
      assert.equal(answer.currency, 'NZD');
      assert.equal(answer.payment_method, method);
      assert.equal(answer.pay_time, first.fields.pay_time);
      assert.equal(answer.signature, resultSignature(answer, merchant.api_key));
    }

    // A long-poll on a second order returns as soon as the order is paid.
    const { reference: reference2 } = await checkout(setup, method);
    const pending = await queryTransaction(gateway.baseUrl, merchant, reference2);
    assert.equal(pending.status, 'pending');
    const orderId2 = String(pending.order_id);

    const started = Date.now();
    let settledAt: number | undefined;
    const longPoll = queryTransaction(gateway.baseUrl, merchant, reference2, { isBlock: true }).then((answer) => {
      settledAt = Date.now();
      return answer;
    });
    // It really blocks while the order is pending (LONG_POLL_SECONDS is 30)…
    await sleep(500);
    assert.equal(settledAt, undefined, 'the long-poll answered while the order was still pending');

    // …and wakes when the order is paid.
    const settled = await settleOrder(gateway.baseUrl, orderId2, 'paid');
    assert.equal(settled.code, 0, JSON.stringify(settled));
    assert.equal(settled.status, 'paid');
    const answer = await within('the long-poll to answer', 10_000, longPoll);
    const tookMs = Date.now() - started;
    assert.equal(answer.code, 0, JSON.stringify(answer));
    assert.equal(answer.status, 'paid');
    assert.equal(answer.order_id, orderId2);
    assert.equal(answer.signature, resultSignature(answer, merchant.api_key));
    // A correctness bound (woken by the change, not by the 30 s limit), not a benchmark.
    assert.ok(tookMs < 5_000, `the long-poll took ${tookMs} ms`);

    // The second order's callback is refused once, then accepted, like the first.
    const callbacks2 = await shop.waitForCallbacks(reference2, 2, 15_000);
    assert.deepEqual(callbacks2.map((c) => c.answer), ['fail', 'sent']);
    assertSignedCallback(callbacks2[1], merchant, { reference: reference2, method, status: 'paid' });
  });
}

test('a declined payment: callback status failed and the return redirect says cancel_or_fail', { timeout: TEST_TIMEOUT_MS }, async (t) => {
  const setup = await setUp(t, failFirst(0));
  const { gateway, merchant, shop } = setup;
  const { reference, pageUrl } = await checkout(setup, 'alipay');

  await payInSandboxWallet(gateway, pageUrl, 'failed');

  const [callback] = await shop.waitForCallbacks(reference, 1, 15_000);
  assert.equal(callback.answer, 'sent');
  assertSignedCallback(callback, merchant, { reference, method: 'alipay', status: 'failed' });

  await assertReturnRedirect(setup, pageUrl, { reference, method: 'alipay', status: 'cancel_or_fail' });

  const answer = await queryTransaction(gateway.baseUrl, merchant, reference);
  assert.equal(answer.code, 0);
  assert.equal(answer.status, 'failed');
  assert.equal(answer.signature, resultSignature(answer, merchant.api_key));

  // A declined order cannot be paid afterwards: the wallet reports it settled, nothing changes.
  const again = await settleOrder(gateway.baseUrl, String(answer.order_id), 'paid');
  assert.equal(again.code, 0);
  assert.equal(again.status, 'failed');
  await sleep(1_500);
  assert.equal(shop.callbacksFor(reference).length, 1, 'one callback for the one final status');
});
