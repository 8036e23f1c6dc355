import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { logStart } from '../../src/start/serve.js';
import { PROVIDER_MODULES } from '../../src/channels/providers.js';
import { createTestGateway, signed, transactionFields, type TestGateway } from '../helpers/gateway.js';
import { answerOf, createOrder, postTransaction, settleOrder } from './support.js';

const PRODUCTION = { NODE_ENV: 'production', PUBLIC_URL: 'https://pay.example.test' };

async function withGateway(env: Record<string, string>, run: (gw: TestGateway) => Promise<void>): Promise<void> {
  const gw = await createTestGateway({ env });
  try {
    await run(gw);
  } finally {
    await gw.close();
  }
}

describe('production mode (NODE_ENV=production)', () => {
  test('the sandbox is off unless asked for: /sandbox/* answers 404 and no method can be served', () =>
    withGateway(PRODUCTION, async (gw) => {
      assert.equal(gw.config.sandbox, false);
      // No provider serves the wallet's methods: the create is refused with 302, as Latipay answers.
      assert.equal(answerOf(await postTransaction(gw, signed(transactionFields(gw.merchant), gw.merchant.api_key))).code, 302);
      assert.equal((await gw.app.inject({ method: 'POST', url: '/sandbox/orders/2026113000000000000000000000001', payload: { outcome: 'paid' } })).statusCode, 404);
      assert.equal((await gw.app.inject({ method: 'GET', url: '/sandbox/wallet/SBX0123', headers: { accept: 'text/html' } })).statusCode, 404);
    }));

  test('with SANDBOX=on the sandbox serves test wallets only; a live wallet answers 302', () =>
    withGateway({ ...PRODUCTION, SANDBOX: 'on' }, async (gw) => {
      const live = gw.merchant;
      assert.equal(answerOf(await postTransaction(gw, signed(transactionFields(live), live.api_key))).code, 302);
      const barcode = signed({ user_id: live.user_id, wallet_id: live.wallet_id, amount: '1.00', pay_code: '134567890123456780' }, live.api_key);
      assert.equal((await gw.app.inject({ method: 'POST', url: '/barcode', payload: barcode })).json().code, 302);

      const tester = await gw.addMerchant({ name: 'Test Shop', test: true });
      const { orderId, nonce } = await createOrder(gw, {}, tester);
      const page = await gw.app.inject({ method: 'GET', url: `/pay/${nonce}`, headers: { accept: 'text/html' } });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /class="sandbox"/, 'the page keeps its sandbox banner');
      assert.equal((await settleOrder(gw, orderId, 'paid')).json().code, 0);
      const paid = await gw.store.db.selectFrom('orders').select('status').where('order_id', '=', orderId).executeTakeFirstOrThrow();
      assert.equal(paid.status, 'paid');
    }));

  test('/sandbox/* never settles a live wallet’s order, even one the sandbox opened before production', () =>
    withGateway({ SANDBOX: 'on' }, async (development) => {
      // Made in development, where any wallet may use the sandbox…
      const { orderId } = await createOrder(development, {});
      const production = await createTestGatewayOn(development, { ...PRODUCTION, SANDBOX: 'on' });
      try {
        // …and refused once the same database runs in production.
        assert.equal((await settleOrder(production, orderId, 'paid')).json().code, 201);
        const row = await production.store.db.selectFrom('orders').select('status').where('order_id', '=', orderId).executeTakeFirstOrThrow();
        assert.equal(row.status, 'pending');
      } finally {
        await production.app.close();
      }
    }));

  test('outside production every wallet may use the sandbox, as before', () =>
    withGateway({}, async (gw) => {
      assert.equal(gw.config.mode, 'development');
      assert.equal(answerOf(await postTransaction(gw, signed(transactionFields(gw.merchant), gw.merchant.api_key))).code, 0);
    }));
});

/** A second app on the same database and key, built with other settings. */
async function createTestGatewayOn(gw: TestGateway, env: Record<string, string>): Promise<TestGateway> {
  const { buildApp } = await import('../../src/http/app.js');
  const config = loadConfig({ DATABASE_URL: gw.config.databaseUrl, SECRET_KEY: gw.config.secretKey as string, LOG_LEVEL: 'silent', ...env });
  const app = await buildApp({ config, store: gw.store, secrets: gw.secrets, logger: pino({ level: 'silent' }) });
  return { ...gw, app, config };
}

describe('the start-up line', () => {
  function logged(env: Record<string, string>) {
    const lines: Array<Record<string, unknown>> = [];
    const stream = new Writable({
      write(chunk, _e, done) {
        lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
        done();
      },
    });
    logStart(loadConfig({ SECRET_KEY: 'ab'.repeat(32), ...env }), pino({ level: 'info' }, stream), 'sqlite');
    return lines;
  }

  test('says the mode, the database, the providers and the sandbox, in one line', () => {
    const [line, ...rest] = logged({});
    assert.equal(rest.length, 0);
    assert.equal(line.mode, 'development');
    assert.equal(line.database, 'sqlite');
    assert.deepEqual(line.providers, [...PROVIDER_MODULES.map((m) => m.name), 'sandbox']);
    assert.ok((line.providers as string[]).includes('wechatpay'));
    assert.equal(line.sandbox, 'on');
  });

  // A production start with /metrics open on the API port warns too (tested below); these starts protect it.
  const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

  test('in production without the sandbox: the real providers only, sandbox off', () => {
    const [line, ...rest] = logged({ ...PRODUCTION, METRICS_TOKEN });
    assert.equal(rest.length, 0);
    assert.equal(line.mode, 'production');
    assert.deepEqual(line.providers, PROVIDER_MODULES.map((m) => m.name));
    assert.equal(line.sandbox, 'off');
  });

  test('in production with SANDBOX=on a warning follows, on every start', () => {
    const lines = logged({ ...PRODUCTION, SANDBOX: 'on', METRICS_TOKEN });
    assert.equal(lines.length, 2);
    assert.equal(lines[0].sandbox, 'on (test wallets only)');
    assert.equal(lines[1].level, 40);
    assert.match(String(lines[1].msg), /SANDBOX=on in production/);
  });

  test('in production, /metrics on the API port without METRICS_TOKEN is a warning; a token, METRICS_PORT or METRICS=off is not', () => {
    const lines = logged(PRODUCTION);
    assert.equal(lines.length, 2);
    assert.equal(lines[1].level, 40);
    assert.match(String(lines[1].msg), /\/metrics .*METRICS_TOKEN.*METRICS_PORT/);
    for (const env of [{ METRICS_TOKEN }, { METRICS_PORT: '9464' }, { METRICS: 'off' }] as Array<Record<string, string>>) assert.equal(logged({ ...PRODUCTION, ...env }).length, 1, JSON.stringify(env));
    assert.equal(logged({}).length, 1, 'not outside production');
  });
});
