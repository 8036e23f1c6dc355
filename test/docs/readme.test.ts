import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { createTestDatabase } from '../helpers/database.js';
import { cleanupStack, newSecretKey, startGatewayProcess, waitFor } from '../e2e/helpers.js';

/**
 * The README's shell examples, run as written against a live gateway: the quick start takes
 * one payment end to end, with only its four variables set to the gateway and the sandbox
 * merchant this run's `serve` printed.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const SANDBOX_MERCHANT = /user_id:\s+(U\d+)\n\s+wallet_id:\s+(W\d+)\n\s+api_key:\s+([0-9a-f]{32})/;

/** The README's ```sh blocks, in order. */
function shellBlocks(): string[] {
  return [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] as string);
}

function run(script: string, env: NodeJS.ProcessEnv, cwd = ROOT): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd, env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Only what the scripts need: no setting of the developer's shell leaks in, and npx stays offline. */
function scriptEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, npm_config_offline: 'true', LOG_LEVEL: 'warn', ...extra };
  for (const [name, value] of Object.entries(process.env)) if (name.startsWith('PG')) env[name] = value;
  return env;
}

describe('the README', () => {
  test('its shell blocks are the setup, the quick start and a merchant create, in that order', () => {
    const blocks = shellBlocks();
    assert.equal(blocks.length, 3);
    assert.match(blocks[0] as string, /^npm install\nnpm start\n$/);
    assert.match(blocks[1] as string, /^GATEWAY=/);
    assert.match(blocks[2] as string, /^npx latipay merchant create /);
  });

  test('the quick start, pasted as written with its four variables filled in, takes one payment end to end', async (t) => {
    const cleanup = cleanupStack(t);
    const database = await createTestDatabase();
    cleanup(() => database.cleanup());
    const secretKey = newSecretKey();
    const gateway = await startGatewayProcess({ databaseUrl: database.url, dataDir: database.dataDir, secretKey, env: { LOG_LEVEL: 'warn' } });
    cleanup(() => gateway.kill());

    // The sandbox merchant, as the README says the first start prints it.
    // It is printed just after the gateway starts listening: waited for, not assumed.
    const printed = await waitFor('the sandbox merchant printed', () => SANDBOX_MERCHANT.exec(gateway.output()) ?? undefined).catch(() => null);
    assert.ok(printed, `the first start printed the sandbox merchant:\n${gateway.output()}`);
    const [, userId, walletId, apiKey] = printed as unknown as [string, string, string, string];

    const quickStart = shellBlocks()[1] as string;
    const filled = quickStart
      .replace(/^GATEWAY=.*$/m, `GATEWAY=${gateway.baseUrl}`)
      .replace(/^USER_ID=.*$/m, `USER_ID=${userId}`)
      .replace(/^WALLET_ID=.*$/m, `WALLET_ID=${walletId}`)
      .replace(/^API_KEY=.*$/m, `API_KEY=${apiKey}`);
    assert.equal(filled.split('\n').length, quickStart.split('\n').length, 'only the four variable lines changed');

    const result = await run(filled, scriptEnv({}));
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    const created = JSON.parse(lines[0] as string) as { code: number; host_url: string; nonce: string; signature: string };
    assert.equal(created.code, 0);
    assert.equal(created.signature, createHmac('sha256', apiKey).update(created.nonce + created.host_url).digest('hex'));
    assert.equal(lines[1], `payment page: ${created.host_url}/${created.nonce}`);
    assert.equal((JSON.parse(lines[2] as string) as { status: string }).status, 'paid', 'the sandbox settled it');
    const queried = JSON.parse(lines[3] as string) as Record<string, string>;
    assert.equal(queried.status, 'paid');
    assert.equal(queried.amount, '12.50');
    const signed = `${queried.merchant_reference}${queried.payment_method}${queried.status}${queried.currency}${queried.amount}`;
    assert.equal(queried.signature, createHmac('sha256', apiKey).update(signed).digest('hex'), 'the answer is signed as the README says');
  });

  test('"More merchants" runs as written on the same kind of database', async (t) => {
    const cleanup = cleanupStack(t);
    const database = await createTestDatabase();
    cleanup(() => database.cleanup());
    const result = await run(shellBlocks()[2] as string, scriptEnv({ DATABASE_URL: database.url, SECRET_KEY: newSecretKey() }));
    assert.equal(result.code, 0, result.stderr);
    const created = JSON.parse(result.stdout.trim()) as { user_id: string; wallet_id: string; api_key: string };
    assert.match(created.user_id, /^U\d+$/);
    assert.match(created.wallet_id, /^W\d+$/);
    assert.match(created.api_key, /^[0-9a-f]{32}$/);
  });
});
