import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import {
  createMerchantViaCli,
  createTransaction,
  newReference,
  newSecretKey,
  queryTransaction,
  settleOrder,
  startGatewayProcess,
  waitFor,
  within,
  type CreatedMerchant,
  type GatewayProcess,
} from '../e2e/helpers.js';

// latipay-sdk as a merchant gets it: `npm pack` in sdk/ (which builds it), the tarball
// installed into a fresh project outside the repository with no registry, then plain
// JavaScript (import and require) and TypeScript (node16, bundler and node10 resolution,
// strictest settings) consumers, and the examples of examples/sdk, against a live gateway
// process. Only loopback is reached: npm is pointed at a closed loopback port and told to
// stay offline, so anything that tried to download would fail instead.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SDK = join(ROOT, 'sdk');
const FIXTURES = fileURLToPath(new URL('./packed-consumer/', import.meta.url));
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end, killed after `timeoutMs`; never rejects. */
function run(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function mustRun(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Ran> {
  const ran = await run(command, args, options);
  assert.equal(ran.code, 0, `${command} ${args.join(' ')} exited ${ran.code}\n--- stdout ---\n${ran.stdout}\n--- stderr ---\n${ran.stderr}`);
  return ran;
}

/** The last line a consumer printed: its report, as JSON. */
function reportOf(ran: Ran): Record<string, unknown> {
  const line = ran.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`no JSON report\n--- stdout ---\n${ran.stdout}\n--- stderr ---\n${ran.stderr}`);
  }
}

let work: string;
let project: string;
let tarball: string;
let database: TestDatabase;
let gateway: GatewayProcess;
let merchant: CreatedMerchant;

/** npm with nothing of the developer's: its own home and cache, offline, its registry a closed loopback port. */
function npmEnv(): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: join(work, 'home'),
    npm_config_cache: join(work, 'npm-cache'),
    npm_config_registry: 'http://127.0.0.1:9/',
    npm_config_offline: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
}

/** What a consumer process gets: the merchant's settings and nothing of the test runner's (no tsx loader). */
function consumerEnv(reference: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    LATIPAY_BASE_URL: gateway.baseUrl,
    LATIPAY_USER_ID: merchant.user_id,
    LATIPAY_WALLET_ID: merchant.wallet_id,
    LATIPAY_API_KEY: merchant.api_key,
    MERCHANT_REFERENCE: reference,
  };
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'latipay-sdk-packed-'));
  mkdirSync(join(work, 'home'));
  mkdirSync(join(work, 'pack'));
  // prepack builds dist/ afresh (sdk/scripts/build.mjs), so the tarball is today's sources.
  await mustRun('npm', ['pack', '--pack-destination', join(work, 'pack')], { cwd: SDK, env: npmEnv(), timeoutMs: 180_000 });
  const { version } = JSON.parse(readFileSync(join(SDK, 'package.json'), 'utf8')) as { version: string };
  const packed = readdirSync(join(work, 'pack')).filter((name) => name.endsWith('.tgz'));
  assert.deepEqual(packed, [`latipay-sdk-${version}.tgz`]);
  tarball = join(work, 'pack', packed[0] ?? '');

  // A merchant's fresh project, outside the repository: nothing resolves from the checkout.
  project = join(work, 'merchant-app');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'merchant-app', version: '1.0.0', private: true, type: 'module' }, null, 2));
  await mustRun('npm', ['install', '--no-audit', '--no-fund', '--offline', tarball], { cwd: project, env: npmEnv(), timeoutMs: 120_000 });

  database = await createTestDatabase();
  const secretKey = newSecretKey();
  merchant = await createMerchantViaCli(database.url, database.dataDir, secretKey, { name: 'Packed SDK Wines' });
  gateway = await startGatewayProcess({
    databaseUrl: database.url,
    dataDir: database.dataDir,
    secretKey,
    env: { NOTIFY_RETRY_SECONDS: '1', LONG_POLL_SECONDS: '30' },
  });
}, { timeout: 360_000 });

after(async () => {
  gateway?.kill();
  await gateway?.exited;
  await database?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
}, { timeout: 60_000 });

/** What flow.cjs and consumer.ts report (see test/sdk/packed-consumer). */
interface FlowReport {
  resolved: string;
  created: { host_url: string; payment_url: string };
  pending: { status: string; order_id: string };
  settled: { code: number };
  paid: { status: string; paid: boolean; order_id: string; amount: string; currency: string };
  callback: { merchant_reference: string; status: string; paid: boolean; order_id: string; amount: string; webhookId?: string };
  answer: { status: number; body: string };
  tampered: { status: number; body: string };
  stripped: { status: number; body: string };
  alteredField: string;
  unalteredField: string;
  errorsShareBase: boolean;
}

/** One payment, start to callback, as the consumer saw it; then the gateway's own view of it. */
async function assertLiveFlow(report: FlowReport, reference: string): Promise<void> {
  assert.equal(report.created.host_url, `${gateway.baseUrl}/pay`);
  assert.ok(report.created.payment_url.startsWith(`${gateway.baseUrl}/pay/`), report.created.payment_url);
  assert.equal(report.pending.status, 'pending');
  assert.match(report.pending.order_id, /^\d+$/);
  assert.equal(report.settled.code, 0);
  assert.deepEqual(report.paid, { status: 'paid', paid: true, order_id: report.pending.order_id, amount: '12.50', currency: 'NZD' });
  // The callback passed the handler: Latipay's signature and the required webhook headers.
  assert.equal(report.callback.merchant_reference, reference);
  assert.equal(report.callback.status, 'paid');
  assert.equal(report.callback.paid, true);
  assert.equal(report.callback.order_id, report.pending.order_id);
  assert.equal(report.callback.amount, '12.50');
  assert.match(report.callback.webhookId ?? '', /^msg_/);
  assert.deepEqual(report.answer, { status: 200, body: 'sent' });
  // What the handler refuses: the genuine headers on an altered body, and the body without headers.
  assert.deepEqual(report.tampered, { status: 400, body: 'fail' });
  assert.deepEqual(report.stripped, { status: 400, body: 'fail' });
  assert.equal(report.alteredField, 'LatipaySignatureError');
  assert.equal(report.unalteredField, 'paid');
  assert.equal(report.errorsShareBase, true);

  const seen = await queryTransaction(gateway.baseUrl, merchant, reference);
  assert.equal(seen.code, 0, JSON.stringify(seen));
  assert.equal(seen.status, 'paid');
  assert.equal(seen.order_id, report.pending.order_id);
}

/** The compiler options a strict consumer uses (every resolution adds its module settings). */
function strictOptions(): Record<string, unknown> {
  return {
    target: 'ES2022',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    noPropertyAccessFromIndexSignature: true,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    skipLibCheck: false,
    // The fresh project has no @types/node of its own (nothing is downloaded here): it uses
    // the repository's, as it would use its own. The SDK's types need @types/node.
    typeRoots: [join(ROOT, 'node_modules', '@types')],
    types: ['node'],
  };
}

function writeTsconfig(name: string, compilerOptions: Record<string, unknown>, files: string[]): string {
  const path = join(project, name);
  writeFileSync(path, JSON.stringify({ compilerOptions: { ...strictOptions(), ...compilerOptions }, files }, null, 2));
  return path;
}

async function typeCheck(tsconfig: string): Promise<void> {
  await mustRun(process.execPath, [TSC, '-p', tsconfig], { cwd: project, env: { PATH: process.env.PATH }, timeoutMs: 180_000 });
}

/** An example of examples/sdk running as the merchant's process in the fresh project. */
async function startExample(file: string): Promise<{ callbackUrl: string; output(): string; stop(): Promise<void> }> {
  copyFileSync(join(ROOT, 'examples', 'sdk', file), join(project, file));
  const child = spawn(process.execPath, [file], {
    cwd: project,
    env: {
      PATH: process.env.PATH,
      LATIPAY_BASE_URL: gateway.baseUrl,
      LATIPAY_USER_ID: merchant.user_id,
      LATIPAY_WALLET_ID: merchant.wallet_id,
      LATIPAY_API_KEY: merchant.api_key,
      PORT: '0',
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  let running = true;
  const exited = new Promise<void>((resolve) => child.once('exit', () => ((running = false), resolve())));
  const stop = async () => {
    if (running) child.kill('SIGTERM');
    try {
      await within(`${file} to exit`, 10_000, exited);
    } finally {
      if (running) child.kill('SIGKILL');
    }
  };
  try {
    const url = await waitFor(`${file} to listen`, () => {
      if (!running) throw new Error(`${file} exited\n${output}`);
      return /listening on (http:\/\/127\.0\.0\.1:\d+\/latipay\/callback)/.exec(output)?.[1];
    }, { timeoutMs: 20_000 });
    return { callbackUrl: url, output: () => output, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A payment whose callback goes to `callbackUrl`, settled paid; the example's log line for it. */
async function payTo(callbackUrl: string, example: { output(): string }): Promise<{ reference: string; orderId: string; line: string }> {
  const reference = newReference('example');
  const { answer } = await createTransaction(gateway.baseUrl, merchant, {
    merchant_reference: reference,
    payment_method: 'alipay',
    return_url: 'http://127.0.0.1:9/return',
    callback_url: callbackUrl,
  });
  assert.equal(answer.code, 0, JSON.stringify(answer));
  const pending = await queryTransaction(gateway.baseUrl, merchant, reference);
  const orderId = String(pending.order_id);
  const settled = await settleOrder(gateway.baseUrl, orderId, 'paid');
  assert.equal(settled.code, 0, JSON.stringify(settled));
  const line = await waitFor(`the example to record ${reference}`, () => example.output().split('\n').find((l) => l.includes(`recorded ${reference} `)), {
    timeoutMs: 20_000,
  });
  return { reference, orderId, line };
}

/** A callback no gateway sent: plausible fields, a made-up signature, no webhook headers. */
async function postForged(callbackUrl: string, reference: string): Promise<{ status: number; body: string }> {
  const response = await fetch(callbackUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      merchant_reference: reference,
      payment_method: 'alipay',
      status: 'paid',
      currency: 'NZD',
      amount: '999.00',
      signature: 'a'.repeat(64),
    }).toString(),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: response.status, body: await response.text() };
}

describe('latipay-sdk installed from its tarball into a fresh project', () => {
  test('the tarball holds the ESM and CommonJS builds with their declarations, and no sources', async () => {
    const listing = await mustRun('tar', ['-tzf', tarball], { cwd: work, env: { PATH: process.env.PATH }, timeoutMs: 30_000 });
    const entries = listing.stdout.trim().split('\n').sort();
    for (const side of ['esm', 'cjs']) {
      for (const module of ['index', 'latipay', 'callback-handler', 'webhook', 'events', 'signature', 'errors', 'types', 'transport']) {
        assert.ok(entries.includes(`package/dist/${side}/${module}.js`), `${side}/${module}.js is packed`);
        assert.ok(entries.includes(`package/dist/${side}/${module}.d.ts`), `${side}/${module}.d.ts is packed`);
      }
    }
    assert.ok(entries.includes('package/dist/cjs/package.json'));
    const others = entries.filter((entry) => !/^package\/dist\/(esm|cjs)\/[a-z-]+\.(js|d\.ts)$/.test(entry));
    assert.deepEqual(others, ['package/LICENSE', 'package/README.md', 'package/dist/cjs/package.json', 'package/package.json']);

    const installed = join(project, 'node_modules', 'latipay-sdk');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
    const exported = (manifest['exports'] as Record<string, Record<string, Record<string, string>>>)['.'];
    assert.ok(exported);
    assert.deepEqual(exported['import'], { types: './dist/esm/index.d.ts', default: './dist/esm/index.js' });
    assert.deepEqual(exported['require'], { types: './dist/cjs/index.d.ts', default: './dist/cjs/index.js' });
    // `types` first in each condition: TypeScript takes the first condition that matches.
    assert.equal(Object.keys(exported['import'] ?? {})[0], 'types');
    assert.equal(Object.keys(exported['require'] ?? {})[0], 'types');
    assert.equal(manifest['main'], './dist/cjs/index.js');
    assert.equal(manifest['types'], './dist/cjs/index.d.ts');
    assert.equal(manifest['sideEffects'], false);
    assert.equal(manifest['dependencies'], undefined);
    assert.ok(existsSync(join(installed, 'dist', 'cjs', 'index.js')));
    assert.deepEqual(JSON.parse(readFileSync(join(installed, 'dist', 'cjs', 'package.json'), 'utf8')), { type: 'commonjs' });
  });

  test('plain JavaScript with import (ESM): create, verify, settle, query, and a verified callback on a live gateway', { timeout: 120_000 }, async () => {
    copyFileSync(join(FIXTURES, 'flow.cjs'), join(project, 'flow.cjs'));
    copyFileSync(join(FIXTURES, 'esm.mjs'), join(project, 'esm.mjs'));
    const reference = newReference('packed-esm');
    const report = reportOf(await mustRun(process.execPath, ['esm.mjs'], { cwd: project, env: consumerEnv(reference), timeoutMs: 90_000 }));
    assert.ok(String(report['resolved']).endsWith('/node_modules/latipay-sdk/dist/esm/index.js'), String(report['resolved']));
    assert.equal(report['namedImport'], true);
    await assertLiveFlow(report as unknown as FlowReport, reference);
  });

  test('plain JavaScript with require (CommonJS): the same flow on the live gateway', { timeout: 120_000 }, async () => {
    copyFileSync(join(FIXTURES, 'flow.cjs'), join(project, 'flow.cjs'));
    copyFileSync(join(FIXTURES, 'cjs.cjs'), join(project, 'cjs.cjs'));
    const reference = newReference('packed-cjs');
    const report = reportOf(await mustRun(process.execPath, ['cjs.cjs'], { cwd: project, env: consumerEnv(reference), timeoutMs: 90_000 }));
    assert.ok(String(report['resolved']).endsWith('/node_modules/latipay-sdk/dist/cjs/index.js'), String(report['resolved']));
    assert.equal(report['namedImport'], true);
    await assertLiveFlow(report as unknown as FlowReport, reference);
  });

  test('TypeScript, node16 resolution, strictest settings: type-checks (import and require), compiles, and runs on the live gateway', { timeout: 300_000 }, async () => {
    copyFileSync(join(FIXTURES, 'consumer.ts.txt'), join(project, 'src', 'consumer.ts'));
    copyFileSync(join(FIXTURES, 'require-consumer.cts.txt'), join(project, 'src', 'require-consumer.cts'));
    const tsconfig = writeTsconfig('tsconfig.node16.json', { module: 'Node16', moduleResolution: 'Node16', rootDir: 'src', outDir: 'out' }, [
      'src/consumer.ts',
      'src/require-consumer.cts',
    ]);
    await typeCheck(tsconfig);

    const reference = newReference('packed-ts');
    const report = reportOf(await mustRun(process.execPath, ['out/consumer.js'], { cwd: project, env: consumerEnv(reference), timeoutMs: 90_000 }));
    assert.ok(String(report['resolved']).endsWith('/node_modules/latipay-sdk/dist/esm/index.js'), String(report['resolved']));
    await assertLiveFlow(report as unknown as FlowReport, reference);

    const required = reportOf(await mustRun(process.execPath, ['out/require-consumer.cjs'], { cwd: project, env: { PATH: process.env.PATH }, timeoutMs: 30_000 }));
    assert.ok(String(required['resolved']).endsWith('/node_modules/latipay-sdk/dist/cjs/index.js'), String(required['resolved']));
    assert.deepEqual(
      { paid: required['paid'], webhookId: required['webhookId'], tampered: required['tampered'] },
      { paid: true, webhookId: 'msg_offline_1', tampered: 'LatipaySignatureError' },
    );
  });

  test('TypeScript, bundler resolution, strictest settings: type-checks', { timeout: 200_000 }, async () => {
    copyFileSync(join(FIXTURES, 'consumer.ts.txt'), join(project, 'src', 'consumer.ts'));
    await typeCheck(writeTsconfig('tsconfig.bundler.json', { module: 'ESNext', moduleResolution: 'Bundler', noEmit: true }, ['src/consumer.ts']));
  });

  test('TypeScript, node10 resolution (main and types fields), strictest settings: type-checks', { timeout: 200_000 }, async () => {
    copyFileSync(join(FIXTURES, 'require-consumer.cts.txt'), join(project, 'src', 'require-consumer.ts'));
    await typeCheck(writeTsconfig('tsconfig.node10.json', { module: 'CommonJS', moduleResolution: 'Node10', noEmit: true }, ['src/require-consumer.ts']));
  });

  test('examples/sdk/fastify-callback.mjs verifies and acknowledges the live gateway’s callback, and refuses a forged one', { timeout: 120_000 }, async () => {
    // fastify comes from the repository (a dependency of the gateway); latipay-sdk from the tarball.
    symlinkSync(join(ROOT, 'node_modules', 'fastify'), join(project, 'node_modules', 'fastify'), 'dir');
    const example = await startExample('fastify-callback.mjs');
    try {
      const { reference, orderId, line } = await payTo(example.callbackUrl, example);
      assert.match(line, new RegExp(`^recorded ${reference} paid 120\\.00 NZD order ${orderId} \\(webhook msg_\\S+\\)$`));
      assert.deepEqual(await postForged(example.callbackUrl, reference), { status: 400, body: 'fail' });
      const seen = await queryTransaction(gateway.baseUrl, merchant, reference);
      assert.equal(seen.status, 'paid');
    } finally {
      await example.stop();
    }
  });

  test('examples/sdk/express-callback.mjs does the same, through a minimal Express-compatible stand-in', { timeout: 120_000 }, async () => {
    // Express is no dependency of this project and nothing is downloaded here: a stand-in with
    // only what the example uses (express(), app.post, app.listen) routes to the SDK's
    // Express handler, which is what the example is about.
    const shim = join(project, 'node_modules', 'express');
    mkdirSync(shim, { recursive: true });
    writeFileSync(join(shim, 'package.json'), JSON.stringify({ name: 'express', version: '0.0.0-stand-in', main: 'index.js' }));
    writeFileSync(
      join(shim, 'index.js'),
      [
        "'use strict';",
        "const http = require('node:http');",
        'module.exports = function express() {',
        '  const routes = [];',
        '  const app = (req, res) => {',
        "    const path = new URL(req.url, 'http://localhost').pathname;",
        '    const route = routes.find((r) => r.method === req.method && r.path === path);',
        "    if (!route) return void res.writeHead(404).end('Not Found');",
        "    route.handler(req, res, (error) => res.writeHead(500).end(String(error)));",
        '  };',
        "  app.post = (path, handler) => (routes.push({ method: 'POST', path, handler }), app);",
        '  app.listen = (port, host, callback) => http.createServer(app).listen(port, host, callback);',
        '  return app;',
        '};',
      ].join('\n'),
    );
    const example = await startExample('express-callback.mjs');
    try {
      const { reference, orderId, line } = await payTo(example.callbackUrl, example);
      assert.match(line, new RegExp(`^recorded ${reference} paid 120\\.00 NZD order ${orderId} \\(webhook msg_\\S+\\)$`));
      assert.deepEqual(await postForged(example.callbackUrl, reference), { status: 400, body: 'fail' });
    } finally {
      await example.stop();
    }
  });
});
