'use strict';
// What a merchant's code does with latipay-sdk, run by esm.mjs (import) and cjs.cjs
// (require) in a fresh project where the packed tarball is installed; see
// test/sdk/packed-package.test.ts. It takes the SDK module the caller loaded, so each
// consumer exercises its own copy (dist/esm or dist/cjs), and returns a report the test
// checks. Every wait is bounded; only loopback addresses are used.
const { createServer } = require('node:http');

const WAIT_MS = 20_000;

function within(what, promise, ms = WAIT_MS) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function postForm(url, fields, headers) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', ...headers },
    body: new URLSearchParams(fields).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.text() };
}

/**
 * Creates a payment, settles it through the gateway's sandbox, queries it, and receives
 * its callback on a loopback server with the SDK's handler (Latipay signature and Standard
 * Webhooks headers both required); then offers that server a tampered copy and a copy
 * without headers.
 */
async function runFlow(sdk, env) {
  const { Latipay, LatipaySdkError, LatipaySignatureError, createCallbackHandler, verifyCallbackFields } = sdk;
  const baseUrl = env.LATIPAY_BASE_URL;
  const apiKey = env.LATIPAY_API_KEY;
  const reference = env.MERCHANT_REFERENCE;
  const latipay = new Latipay({
    userId: env.LATIPAY_USER_ID,
    walletId: env.LATIPAY_WALLET_ID,
    apiKey,
    baseUrl,
    timeoutMs: 15_000,
    requireWebhookHeaders: true,
  });

  let gotEvent;
  const eventReceived = new Promise((resolve) => (gotEvent = resolve));
  let gotAnswer;
  const firstAnswer = new Promise((resolve) => (gotAnswer = resolve));
  let genuineHeaders;
  const onCallback = createCallbackHandler(latipay, (event) => gotEvent(event), { onError: () => {} });
  const server = createServer((req, res) => {
    if (req.url !== '/latipay/callback') {
      res.writeHead(404).end();
      return;
    }
    // Keep what the gateway sent and what the handler answered it.
    if (genuineHeaders === undefined && req.headers['webhook-id']) genuineHeaders = { ...req.headers };
    const end = res.end.bind(res);
    res.end = (chunk, ...rest) => {
      gotAnswer({ status: res.statusCode, body: String(chunk ?? '') });
      return end(chunk, ...rest);
    };
    void onCallback(req, res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const callbackUrl = `http://127.0.0.1:${server.address().port}/latipay/callback`;

  try {
    const created = await latipay.createTransaction({
      amount: '12.50',
      payment_method: 'alipay',
      merchant_reference: reference,
      product_name: 'Pinot Noir, Otago',
      return_url: 'http://127.0.0.1:9/return',
      callback_url: callbackUrl,
      ip: '122.122.122.1',
    });
    const pending = await latipay.queryTransaction(reference);

    const settle = await fetch(`${baseUrl}/sandbox/orders/${encodeURIComponent(pending.order_id)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ outcome: 'paid' }),
      signal: AbortSignal.timeout(10_000),
    });
    const settled = await settle.json();

    const paid = await latipay.queryTransaction(reference, { block: true, timeoutMs: WAIT_MS });
    const event = await within('the callback', eventReceived);
    const answer = await within("the handler's answer", firstAnswer);

    const webhookHeaders = {};
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) webhookHeaders[name] = genuineHeaders[name];
    // The genuine headers on an altered body: the webhook signature no longer matches.
    const tampered = await postForm(callbackUrl, { ...event.fields, amount: '0.01' }, webhookHeaders);
    // The genuine body without its headers: refused, since they are required.
    const stripped = await postForm(callbackUrl, event.fields, {});
    // The Latipay signature alone (no headers, none required here) on an altered field.
    let alteredField = 'accepted';
    try {
      verifyCallbackFields({ ...event.fields, amount: '0.01' }, apiKey);
    } catch (error) {
      alteredField = error instanceof LatipaySignatureError ? 'LatipaySignatureError' : String(error);
    }
    const unalteredField = verifyCallbackFields(event.fields, apiKey).status;

    return {
      created: { host_url: created.host_url, payment_url: created.payment_url },
      pending: { status: pending.status, order_id: pending.order_id },
      settled: { code: settled.code },
      paid: { status: paid.status, paid: paid.paid, order_id: paid.order_id, amount: paid.amount, currency: paid.currency },
      callback: {
        merchant_reference: event.merchant_reference,
        status: event.status,
        paid: event.paid,
        order_id: event.order_id,
        amount: event.amount,
        webhookId: event.webhook && event.webhook.id,
      },
      answer,
      tampered,
      stripped,
      alteredField,
      unalteredField,
      errorsShareBase: new LatipaySignatureError('x') instanceof LatipaySdkError,
    };
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(() => resolve()));
  }
}

module.exports = { runFlow };
