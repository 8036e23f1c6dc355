import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestDatabase } from '../helpers/database.js';
import {
  cleanupStack,
  createMerchantViaCli,
  createTransaction,
  findFreePort,
  newReference,
  newSecretKey,
  queryTransaction,
  settleOrder,
  startGatewayProcess,
  startMerchantServer,
  waitFor,
  within,
} from './helpers.js';

// The metrics as `latipay serve` and `latipay worker` wire them: the API and the delivery
// worker of one process count into the same metrics; METRICS_PORT moves them to a listener
// of their own, which is how a worker (no API) is scraped.

const BIN = fileURLToPath(new URL('../../bin/latipay.mjs', import.meta.url));
const TOKEN = 'e2e-metrics-token-0123456789';

function sampleOf(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

test('serve: requests and delivered callbacks of one process in one /metrics; METRICS_PORT moves it off the API port', { timeout: 90_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const database = await createTestDatabase();
  cleanup(() => database.cleanup());
  const secretKey = newSecretKey();
  const merchant = await createMerchantViaCli(database.url, database.dataDir, secretKey);
  const shop = await startMerchantServer(() => 'sent');
  cleanup(() => shop.close());
  const metricsPort = await findFreePort();
  const gateway = await startGatewayProcess({
    databaseUrl: database.url,
    dataDir: database.dataDir,
    secretKey,
    env: { METRICS_PORT: String(metricsPort), METRICS_TOKEN: TOKEN },
  });
  cleanup(() => gateway.kill());
  const metricsUrl = `http://127.0.0.1:${metricsPort}`;

  const reference = newReference('metrics');
  const created = await createTransaction(gateway.baseUrl, merchant, { payment_method: 'alipay', merchant_reference: reference, callback_url: shop.callbackUrl, return_url: shop.returnUrl });
  assert.equal(created.answer.code, 0, JSON.stringify(created.answer));
  const pending = await queryTransaction(gateway.baseUrl, merchant, reference);
  assert.equal((await settleOrder(gateway.baseUrl, String(pending.order_id), 'paid')).status, 'paid');
  await shop.waitForCallbacks(reference, 1);

  assert.equal((await fetch(`${gateway.baseUrl}/metrics`)).status, 404, 'not on the API port');
  assert.equal((await fetch(`${metricsUrl}/metrics`)).status, 401, 'the token is asked for');
  const health = await fetch(`${metricsUrl}/healthz`);
  assert.equal(health.status, 200);
  const scraped = await waitFor('the delivery counted', async () => {
    const response = await fetch(`${metricsUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await response.text();
    return (sampleOf(text, 'latipay_callback_attempts_total{outcome="delivered"}') ?? 0) >= 1 && text;
  });
  assert.equal(sampleOf(scraped, 'latipay_http_request_duration_seconds_count{method="POST",route="/v2/transaction",status_code="200"}'), 1);
  assert.equal(sampleOf(scraped, 'latipay_orders{status="paid"}'), 1);
  assert.ok(!scraped.includes(reference) && !scraped.includes(merchant.user_id));
  assert.equal((await gateway.stop()).code, 0);
});

test('worker: no API, and /metrics and /healthz on METRICS_PORT', { timeout: 60_000 }, async (t) => {
  const cleanup = cleanupStack(t);
  const database = await createTestDatabase();
  cleanup(() => database.cleanup());
  const secretKey = newSecretKey();
  await createMerchantViaCli(database.url, database.dataDir, secretKey);
  const metricsPort = await findFreePort();
  const env: NodeJS.ProcessEnv = { DATABASE_URL: database.url, SECRET_KEY: secretKey, LOG_LEVEL: 'warn', HOST: '127.0.0.1', METRICS_PORT: String(metricsPort) };
  for (const [name, value] of Object.entries(process.env)) if (['PATH', 'HOME', 'TMPDIR', 'LANG'].includes(name) || name.startsWith('PG')) env[name] = value;
  const worker = spawn(process.execPath, [BIN, 'worker'], { cwd: database.dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  worker.stdout.on('data', (chunk) => (output += chunk));
  worker.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => worker.once('exit', (code) => resolve(code)));
  cleanup(() => {
    if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL');
  });
  const base = `http://127.0.0.1:${metricsPort}`;

  await waitFor(
    `the worker's /healthz (output: ${output})`,
    async () => {
      try {
        return (await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(1_000) })).status === 200;
      } catch {
        return false;
      }
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  const text = await (await fetch(`${base}/metrics`)).text();
  assert.equal(sampleOf(text, 'latipay_callbacks_pending'), 0);
  assert.equal(sampleOf(text, 'latipay_callback_attempts_total{outcome="delivered"}'), 0);
  assert.ok(text.includes('nodejs_eventloop_lag_seconds'));
  assert.equal((await fetch(`${base}/v2/transaction`, { method: 'POST' })).status, 404, 'no API on the metrics listener');

  worker.kill('SIGTERM');
  assert.equal(await within('the worker to exit after SIGTERM', 15_000, exited), 0);
});
