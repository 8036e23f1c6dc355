import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { createTestDatabase } from '../helpers/database.js';
import { cleanupStack, newSecretKey, startGatewayProcess, waitFor } from '../e2e/helpers.js';

/** docs/invoices.md's curl example, run as written (its four variables set) against a live gateway. */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOC = readFileSync(new URL('../../docs/invoices.md', import.meta.url), 'utf8');

function run(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: ROOT, env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('docs/invoices.md: the curl example creates an invoice, pays it in the sandbox, queries, lists and refunds it', async (t) => {
  const blocks = [...DOC.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  assert.equal(blocks.length, 1, 'one shell block');
  const example = blocks[0] as string;
  assert.match(example, /^GATEWAY=/);

  const cleanup = cleanupStack(t);
  const database = await createTestDatabase();
  cleanup(() => database.cleanup());
  const gateway = await startGatewayProcess({ databaseUrl: database.url, dataDir: database.dataDir, secretKey: newSecretKey(), env: { LOG_LEVEL: 'warn' } });
  cleanup(() => gateway.kill());
  // The first start prints its sandbox merchant just after it starts listening.
  const printed = await waitFor('the sandbox merchant printed', () => /user_id:\s+(U\d+)\n\s+wallet_id:\s+(W\d+)\n\s+api_key:\s+([0-9a-f]{32})/.exec(gateway.output()) ?? undefined);
  const [, userId, walletId, apiKey] = printed as unknown as [string, string, string, string];
  const filled = example
    .replace(/^GATEWAY=.*$/m, `GATEWAY=${gateway.baseUrl}`)
    .replace(/^USER_ID=.*$/m, `USER_ID=${userId}`)
    .replace(/^WALLET_ID=.*$/m, `WALLET_ID=${walletId}`)
    .replace(/^API_KEY=.*$/m, `API_KEY=${apiKey}`);

  const result = await run(filled, { PATH: process.env.PATH, HOME: process.env.HOME });
  assert.equal(result.code, 0, result.stderr);
  const [created, settled, queried, listed, refunded] = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(created?.code, 0, JSON.stringify(created));
  const sorted = `invoice_id=${created?.invoice_id}&invoice_url=${created?.invoice_url}${apiKey}`;
  assert.equal(created?.signature, createHmac('sha256', apiKey).update(sorted).digest('hex'));
  assert.equal(settled?.status, 'paid');
  assert.equal(queried?.status, 'paid');
  assert.equal(queried?.paid_method, 'alipay');
  assert.equal(queried?.open_count, 1);
  assert.equal(queried?.amount, '48.00');
  assert.equal(listed?.code, 0, JSON.stringify(listed));
  assert.equal(listed?.page_size, 2);
  assert.equal((listed?.invoices as unknown[]).length, 1);
  assert.equal(refunded?.code, 0, JSON.stringify(refunded));
  assert.match(String(refunded?.refund_id), /^R\d+$/);
});
