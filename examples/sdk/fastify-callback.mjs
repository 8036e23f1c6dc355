// A merchant's callback endpoint in fastify, with latipay-sdk's handler: it verifies the
// callback's Latipay signature and its Standard Webhooks headers (webhook-id,
// webhook-timestamp, webhook-signature) over the raw body, hands your code the typed event,
// and answers `sent` once your code has recorded it (`fail` otherwise, so the gateway tries
// again later).
//
//   npm install latipay-sdk fastify
//   LATIPAY_USER_ID=U… LATIPAY_WALLET_ID=W… LATIPAY_API_KEY=… node fastify-callback.mjs
//
// Then create payments with `callback_url: 'https://<this host>/latipay/callback'`.
// Environment: LATIPAY_BASE_URL (default http://localhost:8080), LATIPAY_PREVIOUS_API_KEY
// (during a key rotation's grace period), PORT (default 3000), HOST (default 127.0.0.1).
import Fastify from 'fastify';
import { Latipay, fastifyCallbackHandler } from 'latipay-sdk';

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

const app = Fastify();
// fastify parses no forms by default. Keep the body as text: the webhook signature covers
// exactly the bytes received. (A callback is a few hundred bytes.)
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_request, body, done) => done(null, body));
app.post('/latipay/callback', fastifyCallbackHandler(latipay, recordPayment));

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: process.env.HOST ?? '127.0.0.1' });
console.log(`listening on ${address}/latipay/callback`);

for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void app.close());
