// A merchant's callback endpoint in Express (4 or 5), with latipay-sdk's handler: it
// verifies the callback's Latipay signature and its Standard Webhooks headers (webhook-id,
// webhook-timestamp, webhook-signature) over the raw body, hands your code the typed event,
// and answers `sent` once your code has recorded it (`fail` otherwise, so the gateway tries
// again later).
//
//   npm install latipay-sdk express
//   LATIPAY_USER_ID=U… LATIPAY_WALLET_ID=W… LATIPAY_API_KEY=… node express-callback.mjs
//
// Then create payments with `callback_url: 'https://<this host>/latipay/callback'`.
// Environment: LATIPAY_BASE_URL (default http://localhost:8080), LATIPAY_PREVIOUS_API_KEY
// (during a key rotation's grace period), PORT (default 3000), HOST (default 127.0.0.1).
import express from 'express';
import { Latipay, expressCallbackHandler } from 'latipay-sdk';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

const latipay = new Latipay({
  userId: required('LATIPAY_USER_ID'),
  walletId: required('LATIPAY_WALLET_ID'),
  apiKey: required('LATIPAY_API_KEY'),
  // Set while the gateway's grace period after a key rotation lasts, then remove: callbacks
  // signed with the old key are accepted meanwhile.
  previousApiKey: process.env.LATIPAY_PREVIOUS_API_KEY || undefined,
  baseUrl: process.env.LATIPAY_BASE_URL ?? 'http://localhost:8080',
  // This gateway sends the Standard Webhooks headers with every callback: require them, so a
  // replay cannot simply leave them out. (Latipay itself sends none: leave this off there.)
  requireWebhookHeaders: true,
});

// Your order store; a Map here. Callbacks are delivered at least once: record them
// idempotently (event.webhook.id is the same on every retry of one notification).
const recorded = new Map();

async function recordPayment(event) {
  const key = event.webhook?.id ?? `${event.order_id}:${event.status}`;
  if (recorded.has(key)) return; // a retry of a callback already recorded
  // Only merchant_reference, payment_method, status, currency and amount are signed: check
  // the amount and currency against your own order before you ship.
  recorded.set(key, event);
  console.log(`recorded ${event.merchant_reference} ${event.status} ${event.amount} ${event.currency} order ${event.order_id} (webhook ${event.webhook?.id})`);
}

const app = express();
// No body parser on this route: the handler reads the raw body itself, since the webhook
// signature covers exactly the bytes received. If your app parses forms for every route
// (app.use(express.urlencoded(…))), keep those bytes for it:
//   app.use(express.urlencoded({ extended: false, verify: (req, _res, buf) => { req.rawBody = buf; } }));
app.post('/latipay/callback', expressCallbackHandler(latipay, recordPayment));

const host = process.env.HOST ?? '127.0.0.1';
const server = app.listen(Number(process.env.PORT ?? 3000), host, () => {
  console.log(`listening on http://${host}:${server.address().port}/latipay/callback`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close());
