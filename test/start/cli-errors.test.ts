import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { describe, test } from 'node:test';
import { runCli, type CliResult } from '../helpers/cli.js';
import { createTestDatabase, TEST_DIALECT } from '../helpers/database.js';
import { cleanupStack, newSecretKey } from '../e2e/helpers.js';

/** What an operator sees when a command cannot do its work: one line, an exit code, never a stack trace. */

function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...extra };
  for (const [name, value] of Object.entries(process.env)) if (name.startsWith('PG')) env[name] = value;
  return env;
}

function assertOneLineRefusal(result: CliResult, pattern: RegExp): void {
  assert.equal(result.code, 1, result.stdout + result.stderr);
  const lines = result.stderr.trim().split('\n').filter((l) => l.startsWith('latipay: '));
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0] as string, pattern);
  assert.doesNotMatch(result.stderr + result.stdout, /\n\s+at /, 'no stack trace');
}

describe('CLI errors, help and version', () => {
  test('serve on a taken port: one line naming PORT, exit 1, and no sandbox key was shown', async (t) => {
    const cleanup = cleanupStack(t);
    const database = await createTestDatabase();
    cleanup(() => database.cleanup());
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanup(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as AddressInfo).port;
    const env = baseEnv({ DATABASE_URL: database.url, SECRET_KEY: newSecretKey(), PORT: String(port), HOST: '127.0.0.1' });
    const result = await runCli(['serve'], env, database.dataDir);
    assertOneLineRefusal(result, /port is taken \(PORT\)/);
    assert.doesNotMatch(result.stdout, /api_key/, 'a key shown by a gateway that never listened would be a key for nothing');
    // The merchant is made on the first start that listens, so none exists yet.
    const listed = await runCli(['merchant', 'list', '--json'], env, database.dataDir);
    assert.deepEqual(JSON.parse(listed.stdout), []);
  });

  test('an unreachable database: one line naming DATABASE_URL, exit 1', async () => {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    const result = await runCli(['merchant', 'list'], baseEnv({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test', SECRET_KEY: newSecretKey() }));
    assertOneLineRefusal(result, /cannot reach the database \(DATABASE_URL\)/);
  });

  test('a bad setting: one line naming the variable, exit 1', async () => {
    assertOneLineRefusal(await runCli(['merchant', 'list'], baseEnv({ PORT: 'eighty' })), /^latipay: PORT: /);
    assertOneLineRefusal(await runCli(['rates', 'set', 'NZD', 'CNY', '-1'], baseEnv({ DATABASE_URL: 'sqlite::memory:' })), /rate "-1" /);
  });

  test(`merchant create refuses a currency that is not ISO 4217 with two decimals (${TEST_DIALECT})`, async (t) => {
    const cleanup = cleanupStack(t);
    const database = await createTestDatabase();
    cleanup(() => database.cleanup());
    const env = baseEnv({ DATABASE_URL: database.url, SECRET_KEY: newSecretKey() });
    for (const currency of ['XYZ', 'JPY', 'N1D']) {
      assertOneLineRefusal(await runCli(['merchant', 'create', '--name', 'Shop', '--currency', currency], env, database.dataDir), /--currency must be an ISO 4217 code/);
    }
  });

  test('--version prints the package version; --help works for every command; an unknown one exits 2', async () => {
    const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    const env = baseEnv({});
    const printed = await runCli(['--version'], env);
    assert.equal(printed.code, 0);
    assert.equal(printed.stdout.trim(), version);
    const commands = [
      ['serve'], ['worker'], ['migrate'],
      ['merchant', 'create'], ['merchant', 'list'], ['merchant', 'show'], ['merchant', 'disable'], ['merchant', 'enable'], ['merchant', 'rotate-key'], ['merchant', 'set'],
      ['orders', 'show'], ['orders', 'list'], ['callbacks', 'show'], ['callbacks', 'resend'], ['callbacks', 'list'],
      ['rates', 'set'], ['rates', 'list'], ['wallet', 'balance'], ['secret', 'rotate'], ['audit', 'list'],
    ];
    for (const command of commands) {
      const help = await runCli([...command, '--help'], env);
      assert.equal(help.code, 0, command.join(' '));
      assert.match(help.stdout, new RegExp(`^Usage: latipay ${command.join(' ')}`), command.join(' '));
    }
    const unknown = await runCli(['frobnicate'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
  });
});
