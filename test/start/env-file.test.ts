import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';

// Each test runs `latipay migrate` as its own process in a folder of its own, and looks at
// which SQLite file it created: the DATABASE_URL the process ended up with.
describe('.env and ENV_FILE are read at start (latipay as a child process)', () => {
  let dir: string;
  let n = 0;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'latipay-env-file-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A fresh working folder, and the environment of a shell that set none of the gateway's variables. */
  function setUp(): { cwd: string; env: NodeJS.ProcessEnv } {
    const cwd = join(dir, `case-${++n}`);
    mkdirSync(cwd);
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of ['DATABASE_URL', 'ENV_FILE', 'NODE_ENV', 'SECRET_KEY', 'SECRET_KEY_FILE', 'LOG_LEVEL', 'PORT']) delete env[name];
    return { cwd, env };
  }

  test('a .env in the current folder configures the command', async () => {
    const { cwd, env } = setUp();
    writeFileSync(join(cwd, '.env'), `# the gateway's database\nDATABASE_URL=sqlite:${join(cwd, 'from-dotenv.db')}\n`);
    const result = await runCli(['migrate'], env, cwd);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /database is up to date \(sqlite\)/);
    assert.ok(existsSync(join(cwd, 'from-dotenv.db')), 'the database the .env names was created');
    assert.ok(!existsSync(join(cwd, 'data')), 'not the default ./data/latipay.db');
  });

  test('a variable already in the environment wins over the file', async () => {
    const { cwd, env } = setUp();
    writeFileSync(join(cwd, '.env'), `DATABASE_URL=sqlite:${join(cwd, 'from-dotenv.db')}\n`);
    const result = await runCli(['migrate'], { ...env, DATABASE_URL: `sqlite:${join(cwd, 'from-environment.db')}` }, cwd);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(existsSync(join(cwd, 'from-environment.db')));
    assert.ok(!existsSync(join(cwd, 'from-dotenv.db')));
  });

  test('ENV_FILE names the file to read instead of ./.env', async () => {
    const { cwd, env } = setUp();
    writeFileSync(join(cwd, '.env'), `DATABASE_URL=sqlite:${join(cwd, 'from-dotenv.db')}\n`);
    writeFileSync(join(cwd, 'gateway.env'), `DATABASE_URL=sqlite:${join(cwd, 'from-env-file.db')}\n`);
    const result = await runCli(['migrate'], { ...env, ENV_FILE: 'gateway.env' }, cwd);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(existsSync(join(cwd, 'from-env-file.db')));
    assert.ok(!existsSync(join(cwd, 'from-dotenv.db')));
  });

  test('an ENV_FILE that does not exist stops the command with a line naming ENV_FILE', async () => {
    const { cwd, env } = setUp();
    const result = await runCli(['migrate'], { ...env, ENV_FILE: join(cwd, 'missing.env') }, cwd);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^latipay: ENV_FILE: cannot read .*missing\.env: no such file\n$/);
    assert.ok(!existsSync(join(cwd, 'data')), 'nothing was opened');
  });

  test("the file's values are checked like any other: a bad one names its variable", async () => {
    const { cwd, env } = setUp();
    writeFileSync(join(cwd, '.env'), 'DATABASE_URL=mysql://db.example/latipay\n');
    const result = await runCli(['migrate'], env, cwd);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /DATABASE_URL: must be sqlite:PATH or postgres/);
  });

  test('without a .env nothing is read and the defaults apply', async () => {
    const { cwd, env } = setUp();
    const result = await runCli(['migrate'], env, cwd);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(existsSync(join(cwd, 'data', 'latipay.db')), 'the default ./data/latipay.db');
  });
});
