import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Credentials } from '../../src/gateway/credentials.js';
import { buildMetricsApp } from '../../src/http/metrics-app.js';
import { GatewayMetrics } from '../../src/http/metrics.js';
import { NotificationWorker } from '../../src/notify/notification-worker.js';
import { createLogger } from '../../src/start/logger.js';
import { enqueueNotification } from '../../src/store/notifications.js';
import { waitFor } from '../e2e/helpers.js';
import { createTestGateway, signed, type TestGateway } from '../helpers/gateway.js';
import { answerOf, createOrder, settleOrder } from './support.js';
import { cancel, latePaidNotification, openAttemptOf, paidOrder, refund, refundsOf, sandboxOf } from '../helpers/money.js';
import { settleReport } from '../../src/gateway/settle-payment.js';
import { recordRefundReport } from '../../src/gateway/execute-refund.js';

/** The samples of a Prometheus text exposition: `name{labels}` (labels as written) → value. */
function samplesOf(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}

async function scrape(gw: TestGateway, headers: Record<string, string> = {}) {
  const response = await gw.app.inject({ method: 'GET', url: '/metrics', headers });
  assert.equal(response.statusCode, 200, response.body);
  return { text: response.body, samples: samplesOf(response.body), response };
}

describe('GET /metrics', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  test('answers the Prometheus text format with the runtime metrics, event-loop lag among them', async () => {
    const { response, text, samples } = await scrape(gw);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.match(text, /^# TYPE nodejs_eventloop_lag_seconds gauge$/m);
    assert.ok(samples.has('nodejs_eventloop_lag_p99_seconds'));
    assert.ok(samples.has('process_resident_memory_bytes'));
    assert.match(text, /^# TYPE latipay_http_request_duration_seconds histogram$/m);
  });

  test('counts requests by route pattern and status code, and names no merchant, reference, nonce or signature', async () => {
    const order = await createOrder(gw);
    // Signed over the path's reference and the query (spec §2.1).
    const query = signed({ merchant_reference: order.reference, user_id: gw.merchant.user_id }, gw.merchant.api_key);
    const queried = await gw.app.inject({
      method: 'GET',
      url: `/v2/transaction/${encodeURIComponent(order.reference)}?user_id=${query.user_id}&signature=${query.signature}`,
    });
    assert.equal(answerOf(queried).code, 0);
    const unknownPath = `/no-such-path-${order.nonce.slice(0, 12)}`;
    assert.equal((await gw.app.inject({ method: 'GET', url: unknownPath })).statusCode, 404);

    const { text, samples } = await scrape(gw);
    const count = (labels: string) => samples.get(`latipay_http_request_duration_seconds_count{${labels}}`);
    assert.ok((count('method="POST",route="/v2/transaction",status_code="200"') ?? 0) >= 1);
    assert.equal(count('method="GET",route="/v2/transaction/:merchant_reference",status_code="200"'), 1);
    assert.ok((count('method="GET",route="unmatched",status_code="404"') ?? 0) >= 1);
    assert.ok(samples.has('latipay_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/v2/transaction/:merchant_reference",status_code="200"}'));
    for (const secret of [order.reference, order.nonce, order.orderId, gw.merchant.user_id, gw.merchant.wallet_id, gw.merchant.api_key, query.signature, unknownPath]) {
      assert.ok(!text.includes(secret), `the metrics must not name ${secret}`);
    }
  });

  test('orders by status, pending and due callbacks, and the oldest pending callback come from the database', async () => {
    const other = await createTestGateway();
    try {
      const pending = await createOrder(other);
      const paid = await createOrder(other);
      const failed = await createOrder(other);
      assert.equal(answerOf(await settleOrder(other, paid.orderId, 'paid')).code, 0);
      assert.equal(answerOf(await settleOrder(other, failed.orderId, 'failed')).code, 0);
      void pending;
      // No worker runs: both callbacks wait in the queue, due now.
      const { samples } = await scrape(other);
      assert.equal(samples.get('latipay_orders{status="pending"}'), 1);
      assert.equal(samples.get('latipay_orders{status="paid"}'), 1);
      assert.equal(samples.get('latipay_orders{status="failed"}'), 1);
      assert.equal(samples.get('latipay_orders{status="canceled"}'), 0);
      assert.equal(samples.get('latipay_orders{status="rejected"}'), 0);
      assert.equal(samples.get('latipay_callbacks_pending'), 2);
      assert.equal(samples.get('latipay_callbacks_due'), 2);
      assert.equal(samples.get('latipay_callbacks_abandoned'), 0);
      const age = samples.get('latipay_callbacks_oldest_pending_age_seconds');
      assert.ok(age !== undefined && age >= 0 && age < 600, String(age));
      assert.equal(samples.get('latipay_callback_attempts_total{outcome="delivered"}'), 0);
    } finally {
      await other.close();
    }
  });

  test('a flagged payment and a refund that fails after its provider accepted it are counted for the operator', async () => {
    const before = (await scrape(gw)).samples;
    assert.equal(before.get('latipay_attention_events_total{event="payment_flagged"}'), 0);
    // A payment for 0.01 of an order of 120.00.
    const { orderId } = await createOrder(gw);
    const attempt = await openAttemptOf(gw, orderId);
    await settleReport(gw.app.gateway, 'sandbox', 'metrics-mismatch', { attemptId: attempt.attempt_id, state: 'paid', amountMinor: 1, currency: 'NZD', occurredAt: Date.now() });
    // A refund accepted as processing, which the sandbox then fails when asked again.
    const paid = await paidOrder(gw, gw.merchant, '10.00');
    assert.equal((await refund(gw, gw.merchant, paid.orderId, '1.00', 'sandbox:refund-processing-fails')).code, 0);
    const [processing] = await refundsOf(gw, paid.orderId);
    assert.equal(processing?.status, 'processing');
    await recordRefundReport(gw.app.gateway, { refundId: String(processing?.refund_id), state: 'failed', reason: 'refused after acceptance' });
    const after = (await scrape(gw)).samples;
    assert.equal(after.get('latipay_attention_events_total{event="payment_flagged"}'), 1);
    assert.equal(after.get('latipay_attention_events_total{event="refund_failed_after_acceptance"}'), 1);
  });

  test('a late payment the provider would not give back is counted for the operator', async () => {
    const before = (await scrape(gw)).samples;
    assert.equal(before.get('latipay_attention_events_total{event="reversal_failed"}'), 0);
    const order = await createOrder(gw);
    await openAttemptOf(gw, order.orderId);
    assert.equal((await cancel(gw, gw.merchant, order.reference)).code, 0);
    const sandbox = sandboxOf(gw);
    sandbox.refund = async (request) => ({ refundId: request.refundId, state: 'failed', reason: 'refund window closed' });
    try {
      assert.equal((await latePaidNotification(gw, order.orderId)).statusCode, 200);
    } finally {
      delete (sandbox as { refund?: unknown }).refund;
    }
    const after = (await scrape(gw)).samples;
    assert.equal(after.get('latipay_attention_events_total{event="reversal_failed"}'), 1);
  });

  test('the database pool: pg Pool figures on PostgreSQL, none on SQLite (no pool there)', async () => {
    const { samples } = await scrape(gw);
    if (gw.store.kind === 'postgres') {
      assert.equal(samples.get('latipay_db_pool_max_clients'), 5);
      const total = samples.get('latipay_db_pool_clients');
      const idle = samples.get('latipay_db_pool_idle_clients');
      assert.ok(total !== undefined && total >= 1 && total <= 5, String(total));
      assert.ok(idle !== undefined && idle <= total);
      assert.equal(samples.get('latipay_db_pool_waiting_requests'), 0);
    } else {
      assert.ok(![...samples.keys()].some((name) => name.startsWith('latipay_db_pool')));
    }
  });
});

describe('the request histogram', () => {
  test('buckets are cumulative and a duration on a bound counts in that bucket, as Prometheus reads them', async () => {
    const gw = await createTestGateway();
    try {
      const metrics = new GatewayMetrics({ store: gw.store, log: createLogger('silent') });
      for (const seconds of [0.003, 0.005, 0.3, 500]) metrics.observeRequest('GET', '/v2/detail/:wallet_id', 200, seconds);
      metrics.observeRequest('GET', '/v2/detail/:wallet_id', 429, 0.001);
      const samples = samplesOf(await metrics.render());
      const bucket = (le: string, status = 200) => samples.get(`latipay_http_request_duration_seconds_bucket{le="${le}",method="GET",route="/v2/detail/:wallet_id",status_code="${status}"}`);
      assert.deepEqual(
        ['0.001', '0.0025', '0.005', '0.01', '0.25', '0.5', '180', '+Inf'].map((le) => bucket(le)),
        [0, 0, 2, 2, 2, 3, 3, 4],
      );
      assert.equal(bucket('0.001', 429), 1);
      const labels = '{method="GET",route="/v2/detail/:wallet_id",status_code="200"}';
      assert.equal(samples.get(`latipay_http_request_duration_seconds_count${labels}`), 4);
      assert.ok(Math.abs((samples.get(`latipay_http_request_duration_seconds_sum${labels}`) ?? 0) - 500.308) < 1e-9);
    } finally {
      await gw.close();
    }
  });
});

describe('the database figures are read at most once per cache period', () => {
  test('a scrape within the period reuses the figures; one after it reads them again', async () => {
    let now = Date.now();
    const gw = await createTestGateway();
    try {
      const metrics = new GatewayMetrics({ store: gw.store, log: createLogger('silent'), clock: () => now, databaseCacheMs: 10_000 });
      const pendingOf = async () => samplesOf(await metrics.render()).get('latipay_orders{status="pending"}');
      assert.equal(await pendingOf(), 0);
      await createOrder(gw);
      now += 5_000;
      assert.equal(await pendingOf(), 0, 'within the period: not read again');
      now += 5_001;
      assert.equal(await pendingOf(), 1, 'after it: read again');
    } finally {
      await gw.close();
    }
  });
});

describe('delivery outcomes are counted where the worker records them', () => {
  test('delivered, failed (retried) and abandoned attempts each count once', async () => {
    const gw = await createTestGateway();
    const metrics = new GatewayMetrics({ store: gw.store, log: createLogger('silent'), databaseCacheMs: 0 });
    const answers = new Map<string, { status: number; body: string }>([
      ['https://shop.example/ok', { status: 200, body: 'sent' }],
      ['https://shop.example/down', { status: 500, body: 'down' }],
    ]);
    let now = Date.now();
    const worker = new NotificationWorker({
      store: gw.store,
      credentials: new Credentials(gw.store.db, gw.secrets),
      log: createLogger('silent'),
      clock: () => now,
      retrySeconds: 1,
      giveUpSeconds: 3_600,
      concurrency: 4,
      timeoutSeconds: 5,
      retentionDays: 0,
      pollIntervalMs: 20,
      post: async (url) => answers.get(url) ?? { status: 404, body: 'no' },
      onAttempt: (outcome) => metrics.countAttempt(outcome),
    });
    try {
      const { orderId } = await createOrder(gw);
      const attempts = async () => {
        const samples = samplesOf(await metrics.render());
        return ['delivered', 'failed', 'abandoned'].map((outcome) => samples.get(`latipay_callback_attempts_total{outcome="${outcome}"}`));
      };
      assert.deepEqual(await attempts(), [0, 0, 0]);
      const user = gw.merchant.user_id;
      await enqueueNotification(gw.store.db, { order_id: orderId, user_id: user, url: 'https://shop.example/ok', body: 'a=1' }, now);
      await enqueueNotification(gw.store.db, { order_id: orderId, user_id: user, url: 'https://shop.example/down', body: 'a=2' }, now);
      worker.start();
      await waitFor('one delivery and one failed attempt', async () => {
        const [delivered, failed] = await attempts();
        return delivered === 1 && failed === 1;
      });
      // Past the give-up horizon, the next failure abandons the callback.
      now += 3_601_000;
      worker.wake();
      await waitFor('the failing callback abandoned', async () => (await attempts())[2] === 1);
      assert.deepEqual(await attempts(), [1, 1, 1]);
      const samples = samplesOf(await metrics.render());
      assert.equal(samples.get('latipay_callbacks_abandoned'), 1);
      assert.equal(samples.get('latipay_callbacks_pending'), 0);
    } finally {
      await worker.stop(1_000);
      await gw.close();
    }
  });
});

describe('METRICS_TOKEN', () => {
  const token = 'metrics-token-0123456789abcdef';
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway({ env: { METRICS_TOKEN: token } });
  });
  after(() => gw.close());

  test('without the bearer token /metrics answers 401 and no figure', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789abcdef' }, { authorization: token }, { authorization: `Basic ${token}` }]) {
      const response = await gw.app.inject({ method: 'GET', url: '/metrics', headers });
      assert.equal(response.statusCode, 401, JSON.stringify(headers));
      assert.equal(response.headers['www-authenticate'], 'Bearer realm="metrics"');
      assert.ok(!response.body.includes('latipay_'), response.body);
    }
  });

  test('with it, the metrics', async () => {
    const { samples } = await scrape(gw, { authorization: `Bearer ${token}` });
    assert.ok(samples.has('latipay_orders{status="pending"}'));
  });
});

describe('METRICS=off and METRICS_PORT', () => {
  test('METRICS=off: no /metrics, and the API works as before', async () => {
    const gw = await createTestGateway({ env: { METRICS: 'off' } });
    try {
      assert.equal((await gw.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404);
      const order = await createOrder(gw);
      assert.ok(order.nonce);
    } finally {
      await gw.close();
    }
  });

  test('METRICS_PORT: the API port has no /metrics; the metrics app serves /metrics and /healthz', async () => {
    const gw = await createTestGateway({ env: { METRICS_PORT: '9464', METRICS_TOKEN: 'metrics-token-0123456789abcdef' } });
    const metrics = new GatewayMetrics({ store: gw.store, log: createLogger('silent') });
    const app = await buildMetricsApp({ metrics, store: gw.store, logger: createLogger('silent'), token: gw.config.metricsToken });
    try {
      assert.equal((await gw.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404);
      assert.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 401);
      const scraped = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer metrics-token-0123456789abcdef' } });
      assert.equal(scraped.statusCode, 200);
      assert.ok(samplesOf(scraped.body).has('latipay_callbacks_pending'));
      const health = await app.inject({ method: 'GET', url: '/healthz' });
      assert.equal(health.statusCode, 200);
      assert.deepEqual(health.json(), { status: 'ok', database: gw.store.kind });
      assert.equal((await app.inject({ method: 'GET', url: '/v2/transaction/x' })).statusCode, 404);
    } finally {
      await app.close();
      await gw.close();
    }
  });
});
