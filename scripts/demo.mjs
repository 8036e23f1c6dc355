#!/usr/bin/env node
// `npm run demo`: the gateway and the demo shop (examples/shop) together, so a newcomer sees
// the whole journey in one command. The gateway keeps its own SQLite database under
// ./data/demo; the shop's merchant is created there once with the CLI and reused after
// (./data/demo/merchant.json). Ctrl-C stops both.
//
// DEMO_GATEWAY_PORT (8080) and DEMO_SHOP_PORT (3000) choose the ports.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = join(root, 'data', 'demo');
const databaseFile = join(dataDir, 'latipay.db');
const merchantFile = join(dataDir, 'merchant.json');
const gatewayPort = Number(process.env.DEMO_GATEWAY_PORT ?? 8080);
const shopPort = Number(process.env.DEMO_SHOP_PORT ?? 3000);
const gatewayUrl = `http://localhost:${gatewayPort}`;
const shopUrl = `http://localhost:${shopPort}`;
const bin = join(root, 'bin', 'latipay.mjs');

const gatewayEnv = {
  ...process.env,
  DATABASE_URL: `sqlite:${databaseFile}`,
  PORT: String(gatewayPort),
  HOST: '127.0.0.1',
  PUBLIC_URL: gatewayUrl,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  NOTIFY_RETRY_SECONDS: process.env.NOTIFY_RETRY_SECONDS ?? '5',
};

mkdirSync(dataDir, { recursive: true });

/** The shop's merchant: reused while its database exists, else created with the CLI. */
async function demoMerchant() {
  if (existsSync(merchantFile) && existsSync(databaseFile)) return JSON.parse(readFileSync(merchantFile, 'utf8'));
  rmSync(merchantFile, { force: true });
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [bin, 'merchant', 'create', '--name', 'Kiwi Pantry', '--currency', 'NZD', '--methods', 'alipay,wechat', '--json'],
    { cwd: root, env: gatewayEnv, timeout: 60_000 },
  );
  const merchant = JSON.parse(stdout.trim().split('\n').at(-1));
  writeFileSync(merchantFile, JSON.stringify(merchant, null, 2) + '\n', { mode: 0o600 });
  return merchant;
}

const children = [];
let stopping = false;

function start(name, args, env) {
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = (stream, out) => {
    let rest = '';
    stream.on('data', (chunk) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop();
      for (const line of lines) out.write(`[${name}] ${line}\n`);
    });
  };
  prefix(child.stdout, process.stdout);
  prefix(child.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (stopping) return;
    console.error(`[demo] the ${name} stopped (code ${code}, signal ${signal}); stopping the demo`);
    void stopAll(1);
  });
  children.push(child);
  return child;
}

async function waitHealthy(name, url, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (stopping) return;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the ${name} did not answer ${url} within ${timeoutMs / 1000} s`);
}

async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  for (const child of running) child.kill('SIGTERM');
  await Promise.race([
    Promise.all(running.map((child) => new Promise((resolve) => child.once('exit', resolve)))),
    new Promise((resolve) => setTimeout(resolve, 15_000)),
  ]);
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  process.exit(code);
}

process.once('SIGINT', () => void stopAll(0));
process.once('SIGTERM', () => void stopAll(0));

try {
  const merchant = await demoMerchant();
  start('gateway', [bin, 'serve'], gatewayEnv);
  await waitHealthy('gateway', `${gatewayUrl}/healthz`);
  start('shop', ['--import', 'tsx', join(root, 'examples', 'shop', 'main.ts')], {
    ...process.env,
    LATIPAY_BASE_URL: gatewayUrl,
    LATIPAY_USER_ID: merchant.user_id,
    LATIPAY_WALLET_ID: merchant.wallet_id,
    LATIPAY_API_KEY: merchant.api_key,
    SHOP_PORT: String(shopPort),
    SHOP_PUBLIC_URL: shopUrl,
    SHOP_ORDERS_FILE: join(dataDir, 'shop-orders.json'),
  });
  await waitHealthy('shop', `${shopUrl}/healthz`);
  console.log(`
  Latipay demo is running
    shop      ${shopUrl}        ← start here: add something to the cart and pay
    gateway   ${gatewayUrl}        (sandbox provider: no real money moves)
    on the payment page, click "Open test wallet" under the QR, then confirm or decline
    (the QR encodes ${gatewayUrl}, which a phone cannot open)
    merchant  ${merchant.user_id} / ${merchant.wallet_id} (data/demo/merchant.json)
  Ctrl-C stops both.
`);
} catch (error) {
  console.error(`[demo] ${error instanceof Error ? error.message : error}`);
  await stopAll(1);
}
