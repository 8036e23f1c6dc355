import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createTestGateway, signed, transactionFields, type TestGateway } from '../helpers/gateway.js';
import { answerOf, findOrder, postTransaction } from '../http/support.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

describe('latipay rates (CLI) while a gateway runs on the same database', () => {
  let gw: TestGateway;
  let cli: (...args: string[]) => Promise<CliResult>;
  before(async () => {
    gw = await createTestGateway();
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: gw.config.databaseUrl, SECRET_KEY: gw.config.secretKey, LOG_LEVEL: 'silent', ENV_FILE: '/dev/null' };
    delete env.FX_RATES;
    delete env.FX_RATES_FILE;
    cli = (...args) =>
      new Promise((resolve) => {
        execFile(process.execPath, ['bin/latipay.mjs', 'rates', ...args], { cwd: ROOT, env, timeout: 60_000 }, (error, stdout, stderr) => {
          resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
        });
      });
  });
  after(async () => {
    await gw.close();
  });

  /** Creates a merchant-hosted order and answers its gatewaydata `data`. */
  async function hostedOrderData(): Promise<Record<string, unknown>> {
    const fields = transactionFields(gw.merchant, { host_type: '1', amount: '120.00' });
    const created = answerOf(await postTransaction(gw, signed(fields, gw.merchant.api_key)));
    assert.equal(created.code, 0, JSON.stringify(created));
    return gatewayData(String(created.nonce));
  }

  async function gatewayData(nonce: string): Promise<Record<string, unknown>> {
    const answer = answerOf(await gw.app.inject({ method: 'GET', url: `/v2/merchanthosted/gatewaydata/${nonce}` }));
    assert.equal(answer.code, 0, JSON.stringify(answer));
    return answer.data as Record<string, unknown>;
  }

  test('rates set changes the rate new orders record, within the 2 s cache; existing orders keep theirs', async () => {
    const existing = await hostedOrderData();
    assert.equal(existing.currency_rate, '4.6449');
    assert.equal(existing.amount_cny, '557.39');

    const set = await cli('set', 'NZD', 'CNY', '5.12340');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /^NZD:CNY 5\.1234 \(updated \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\)\n$/);

    // Gateways read rates through a 2 s cache: a new order picks the new rate up shortly.
    const deadline = Date.now() + 10_000;
    let fresh = await hostedOrderData();
    while (fresh.currency_rate !== '5.1234' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      fresh = await hostedOrderData();
    }
    assert.equal(fresh.currency_rate, '5.1234');
    assert.equal(fresh.amount_cny, '614.81'); // 120 × 5.1234 = 614.808
    const row = await findOrder(gw, gw.merchant.user_id, String(fresh.merchant_reference));
    assert.equal(row?.currency_rate, '5.1234');

    const again = await gatewayData(String(existing.nonce));
    assert.equal(again.currency_rate, '4.6449');
    assert.equal(again.amount_cny, '557.39');
  });

  test('rates list prints every stored rate; --json and a base filter', async () => {
    const set = await cli('set', 'aud', 'cny', '4.8', '--json');
    assert.equal(set.code, 0, set.stderr);
    const stored = JSON.parse(set.stdout) as { base: string; quote: string; rate: string; updated_at: string };
    assert.deepEqual({ base: stored.base, quote: stored.quote, rate: stored.rate }, { base: 'AUD', quote: 'CNY', rate: '4.8' });

    const list = await cli('list');
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trim().split('\n');
    assert.ok(lines.some((line) => line.startsWith('AUD:CNY 4.8 (updated ')), list.stdout);
    assert.ok(lines.some((line) => line.startsWith('NZD:CNY 5.1234 (updated ')), list.stdout);
    assert.ok(lines.some((line) => line.startsWith('USD:CNY 7.118 (updated ')), list.stdout);

    const nzd = await cli('list', 'NZD', '--json');
    assert.equal(nzd.code, 0, nzd.stderr);
    assert.deepEqual(
      (JSON.parse(nzd.stdout) as Array<{ base: string; quote: string; rate: string }>).map((r) => `${r.base}:${r.quote}=${r.rate}`),
      ['NZD:CNY=5.1234'],
    );
  });

  test('a bad rate exits 1, a wrong command line 2, each with a message, and nothing changes', async () => {
    // The full matrix of refused rates and currencies is test/gateway/set-rate.test.ts (in process).
    const before = (await cli('list', '--json')).stdout;
    for (const [args, code] of [
      [['set', 'NZD', 'CNY', '1e3'], 1],
      [['set', 'NZD', 'NZD', '2'], 1],
      [['set', 'NZD', 'CNY'], 2],
    ] as const) {
      const result = await cli(...args);
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stdout}`);
      assert.match(result.stderr, /^latipay/, args.join(' '));
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
    assert.equal((await cli('list', '--json')).stdout, before);
  });
});
