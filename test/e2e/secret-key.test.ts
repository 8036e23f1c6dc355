import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli, type CliResult } from '../helpers/cli.js';
import { createTestDatabase, TEST_DIALECT } from '../helpers/database.js';
import { cleanupStack, newSecretKey, sortedSignature, startGatewayProcess, type GatewayProcess } from './helpers.js';

/**
 * The master key (SECRET_KEY) as operators meet it: where it lives, what happens with the
 * wrong one, and its rotation, with real processes.
 */

/** Only what a process needs, so the developer's shell cannot leak settings in. */
function envWith(databaseUrl: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' };
  for (const [name, value] of Object.entries(process.env)) if (name.startsWith('PG')) env[name] = value;
  for (const [name, value] of Object.entries(extra)) if (value !== undefined) env[name] = value;
  return env;
}

function assertRefusal(result: CliResult, variable: string): void {
  assert.equal(result.code, 1, result.stdout + result.stderr);
  assert.match(result.stderr, new RegExp(`^latipay: ${variable}`), result.stderr);
  assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
}

async function createMerchant(databaseUrl: string, cwd: string, key: string | undefined): Promise<{ user_id: string; wallet_id: string; api_key: string }> {
  const created = await runCli(['merchant', 'create', '--name', 'Key Shop', '--json'], envWith(databaseUrl, { SECRET_KEY: key }), cwd);
  assert.equal(created.code, 0, created.stderr);
  return JSON.parse(created.stdout) as { user_id: string; wallet_id: string; api_key: string };
}

/** A merchant request the gateway can only verify if it can open the merchant's stored key. */
async function detail(gateway: GatewayProcess, merchant: { user_id: string; wallet_id: string; api_key: string }): Promise<number> {
  const signature = sortedSignature({ user_id: merchant.user_id, wallet_id: merchant.wallet_id }, merchant.api_key);
  const response = await fetch(`${gateway.baseUrl}/v2/detail/${merchant.wallet_id}?user_id=${merchant.user_id}&signature=${signature}`);
  return ((await response.json()) as { code: number }).code;
}

describe('SECRET_KEY', () => {
  if (TEST_DIALECT === 'sqlite') {
    test('without SECRET_KEY the key file lives beside the SQLite database, whatever the current directory', async (t) => {
      const cleanup = cleanupStack(t);
      const database = await createTestDatabase();
      cleanup(() => database.cleanup());
      const elsewhere = mkdtempSync(join(tmpdir(), 'latipay-cwd-'));
      cleanup(() => rmSync(elsewhere, { recursive: true, force: true }));
      const databaseFile = database.url.slice('sqlite:'.length);

      await createMerchant(database.url, database.dataDir, undefined);
      const keyFile = join(dirname(databaseFile), 'secret.key');
      assert.ok(existsSync(keyFile));
      const key = readFileSync(keyFile, 'utf8');
      // The same database from another directory: the same key, and nothing written there.
      await createMerchant(database.url, elsewhere, undefined);
      assert.equal(readFileSync(keyFile, 'utf8'), key);
      assert.equal(existsSync(join(elsewhere, 'data')), false);
    });

    test('secret rotate without SECRET_KEY swaps the key file beside the database and keeps the old one', async (t) => {
      const cleanup = cleanupStack(t);
      const database = await createTestDatabase();
      cleanup(() => database.cleanup());
      const merchant = await createMerchant(database.url, database.dataDir, undefined);
      const keyFile = join(dirname(database.url.slice('sqlite:'.length)), 'secret.key');
      const oldKey = readFileSync(keyFile, 'utf8').trim();
      const newKeyFile = join(database.dataDir, 'new.key');

      const rotated = await runCli(['secret', 'rotate', '--new-key-file', newKeyFile], envWith(database.url), database.dataDir);
      assert.equal(rotated.code, 0, rotated.stderr);
      assert.equal(readFileSync(keyFile, 'utf8').trim(), readFileSync(newKeyFile, 'utf8').trim());
      assert.equal(readFileSync(`${keyFile}.previous`, 'utf8').trim(), oldKey);

      const gateway = await startGatewayProcess({ databaseUrl: database.url, dataDir: database.dataDir, secretKey: '', env: { SECRET_KEY: '' } });
      cleanup(() => gateway.kill());
      assert.equal(await detail(gateway, merchant), 0);
    });
  } else {
    test('PostgreSQL needs SECRET_KEY: a command without one is refused before it writes anything', async (t) => {
      const cleanup = cleanupStack(t);
      const database = await createTestDatabase();
      cleanup(() => database.cleanup());
      assertRefusal(await runCli(['merchant', 'create', '--name', 'No Key'], envWith(database.url), database.dataDir), 'SECRET_KEY');
      assert.equal(existsSync(join(database.dataDir, 'data')), false);
    });
  }

  test('a process given another key refuses to start or act, naming SECRET_KEY', async (t) => {
    const cleanup = cleanupStack(t);
    const database = await createTestDatabase();
    cleanup(() => database.cleanup());
    const key = newSecretKey();
    await createMerchant(database.url, database.dataDir, key);
    const wrong = newSecretKey();

    assertRefusal(await runCli(['merchant', 'create', '--name', 'Wrong Key Shop'], envWith(database.url, { SECRET_KEY: wrong }), database.dataDir), 'SECRET_KEY');
    assertRefusal(await runCli(['merchant', 'list'], envWith(database.url, { SECRET_KEY: wrong }), database.dataDir), 'SECRET_KEY');
    const listed = await runCli(['merchant', 'list', '--json'], envWith(database.url, { SECRET_KEY: key }), database.dataDir);
    assert.equal((JSON.parse(listed.stdout) as unknown[]).length, 1, 'nothing was created with the wrong key');

    await assert.rejects(
      startGatewayProcess({ databaseUrl: database.url, dataDir: database.dataDir, secretKey: wrong, startTimeoutMs: 15_000 }),
      (error: Error) => /exited before it was healthy \(code 1/.test(error.message) && /SECRET_KEY/.test(error.message),
    );
  });

  test('secret rotate re-seals every key: the new key works, the old one alone is refused, both together during the rotation', async (t) => {
    const cleanup = cleanupStack(t);
    const database = await createTestDatabase();
    cleanup(() => database.cleanup());
    const oldKey = newSecretKey();
    const merchant = await createMerchant(database.url, database.dataDir, oldKey);
    // Rotated once already: the user's previous key is a sealed secret too.
    const rotatedMerchant = await runCli(['merchant', 'rotate-key', merchant.user_id, '--json'], envWith(database.url, { SECRET_KEY: oldKey }), database.dataDir);
    const newMerchantKey = (JSON.parse(rotatedMerchant.stdout) as { api_key: string }).api_key;
    const newKeyFile = join(database.dataDir, 'next.key');

    const rotated = await runCli(['secret', 'rotate', '--new-key-file', newKeyFile], envWith(database.url, { SECRET_KEY: oldKey }), database.dataDir);
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.match(rotated.stdout, /re-sealed 2 secret\(s\)/);
    const newKey = readFileSync(newKeyFile, 'utf8').trim();

    const gateway = await startGatewayProcess({ databaseUrl: database.url, dataDir: database.dataDir, secretKey: newKey });
    cleanup(() => gateway.kill());
    assert.equal(await detail(gateway, { ...merchant, api_key: newMerchantKey }), 0, 'the new merchant key, opened with the new master key');
    assert.equal(await detail(gateway, merchant), 0, 'the merchant key in its grace period too');
    await gateway.stop();

    assertRefusal(await runCli(['merchant', 'list'], envWith(database.url, { SECRET_KEY: oldKey }), database.dataDir), 'SECRET_KEY');
    const during = await runCli(['merchant', 'list'], envWith(database.url, { SECRET_KEY: newKey, SECRET_KEY_PREVIOUS: oldKey }), database.dataDir);
    assert.equal(during.code, 0, during.stderr);

    const audit = await runCli(['audit', 'list', '--json'], envWith(database.url, { SECRET_KEY: newKey }), database.dataDir);
    const actions = (JSON.parse(audit.stdout) as Array<{ action: string; details: Record<string, unknown> }>).map((e) => e.action);
    assert.deepEqual(actions, ['merchant.create', 'merchant.rotate_key', 'secret.rotate']);
    assert.ok(!audit.stdout.includes(newKey) && !audit.stdout.includes(oldKey));
  });
});

describe('production start-up', () => {
  test('refuses without SECRET_KEY, or with an http PUBLIC_URL, naming the variable', async (t) => {
    const cleanup = cleanupStack(t);
    const database = await createTestDatabase();
    cleanup(() => database.cleanup());
    const production = { NODE_ENV: 'production', PUBLIC_URL: 'https://pay.example.test' };
    assertRefusal(await runCli(['serve'], envWith(database.url, { ...production, SECRET_KEY: undefined })), 'SECRET_KEY');
    assertRefusal(await runCli(['serve'], envWith(database.url, { ...production, SECRET_KEY: newSecretKey(), PUBLIC_URL: 'http://pay.example.test' })), 'PUBLIC_URL');
  });

  test('the sandbox merchant’s key is never written to the output; rotate-key gives the operator one', async (t) => {
    const cleanup = cleanupStack(t);
    const database = await createTestDatabase();
    cleanup(() => database.cleanup());
    const key = newSecretKey();
    const gateway = await startGatewayProcess({
      databaseUrl: database.url,
      dataDir: database.dataDir,
      secretKey: key,
      env: { NODE_ENV: 'production', SANDBOX: 'on', PUBLIC_URL_ALLOW_HTTP: 'on', LOG_LEVEL: 'info' },
    });
    cleanup(() => gateway.kill());
    const listed = await runCli(['merchant', 'list', '--json'], envWith(database.url, { SECRET_KEY: key }), database.dataDir);
    const [sandbox] = JSON.parse(listed.stdout) as Array<{ user_id: string; wallets: Array<{ wallet_id: string; test: boolean }> }>;
    assert.equal(sandbox.wallets[0].test, true, 'the sandbox merchant has a test wallet');
    const output = gateway.output();
    assert.match(output, /"mode":"production"/);
    assert.match(output, new RegExp(`"userId":"${sandbox.user_id}"`), 'the log names the sandbox merchant');
    assert.doesNotMatch(output, /api_key/);

    const rotated = await runCli(['merchant', 'rotate-key', sandbox.user_id, '--grace-seconds', '0', '--json'], envWith(database.url, { SECRET_KEY: key }), database.dataDir);
    const apiKey = (JSON.parse(rotated.stdout) as { api_key: string }).api_key;
    assert.ok(!gateway.output().includes(apiKey));
    // Within the gateway's credential cache (5 s) the new key verifies.
    const deadline = Date.now() + 10_000;
    let code = -1;
    while (Date.now() < deadline && code !== 0) {
      code = await detail(gateway, { user_id: sandbox.user_id, wallet_id: sandbox.wallets[0].wallet_id, api_key: apiKey });
      if (code !== 0) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(code, 0);
  });
});
