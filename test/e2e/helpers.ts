import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';

/**
 * End-to-end helpers: the gateway as a real process (`bin/latipay.mjs serve`) on a real
 * port, the CLI, and a merchant's web server that receives callbacks and redirects.
 * Every wait is bounded; every child is killed by the test that started it (and, as a
 * last resort, when the test process exits).
 */

const BIN = fileURLToPath(new URL('../../bin/latipay.mjs', import.meta.url));
const execFileAsync = promisify(execFile);

// A test that fails half-way must not leave gateways running.
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

// ---------------------------------------------------------------------------------------
// Waiting

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns something other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 10_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** Resolves with `promise`'s value, or rejects when it takes longer than `timeoutMs`. */
export async function within<T>(what: string, timeoutMs: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Cleanup for one test, run last-registered-first (node:test runs `t.after` hooks in the
 * order they were added): a gateway is killed before its database folder is removed.
 */
export function cleanupStack(t: TestContext): (cleanup: () => unknown) => void {
  const stack: Array<() => unknown> = [];
  t.after(async () => {
    const errors: unknown[] = [];
    for (const cleanup of stack.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw errors[0];
  });
  return (cleanup) => void stack.push(cleanup);
}

// ---------------------------------------------------------------------------------------
// Signatures, computed here the way a merchant's own code does (spec §2), not with the
// gateway's functions, so a bug there cannot hide itself.

export function hmac(key: string, message: string): string {
  return createHmac('sha256', key).update(message, 'utf8').digest('hex');
}

/** The sorted-parameter signature of spec §2.1. */
export function sortedSignature(fields: Record<string, string>, apiKey: string): string {
  const joined = Object.keys(fields)
    .filter((key) => key !== 'signature' && fields[key] !== '')
    .sort()
    .map((key) => `${key}=${fields[key]}`)
    .join('&');
  return hmac(apiKey, joined + apiKey);
}

/** The signature of callbacks, redirects and query answers (spec §2.3). */
export function resultSignature(fields: Readonly<Record<string, unknown>>, apiKey: string): string {
  const { merchant_reference, payment_method, status, currency, amount } = fields;
  return hmac(apiKey, [merchant_reference, payment_method, status, currency, amount].map(String).join(''));
}

/** A SECRET_KEY (64 hex characters) for one test: every process of the test shares it. */
export function newSecretKey(): string {
  return randomBytes(32).toString('hex');
}

// ---------------------------------------------------------------------------------------
// The gateway process

export interface GatewayProcessOptions {
  databaseUrl: string;
  /** Working folder of the process: nothing it writes lands in the checkout. */
  dataDir: string;
  secretKey: string;
  /** Extra environment, overriding the defaults. */
  env?: Record<string, string>;
  /** How long to wait for GET /healthz to answer 200. */
  startTimeoutMs?: number;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface GatewayProcess {
  baseUrl: string;
  port: number;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<ProcessExit>;
  /** What the process wrote to stdout and stderr so far (the end of it). */
  output(): string;
  /** Sends `signal` and waits (bounded) for the process to exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ProcessExit>;
  /** SIGKILL, if still running; safe to call more than once (test teardown). */
  kill(): void;
}

/** A port that was free a moment ago: listen on 0, note the port, close. */
export async function findFreePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function gatewayEnv(options: { databaseUrl: string; secretKey: string; env?: Record<string, string> }): NodeJS.ProcessEnv {
  // Only what the process needs: no configuration of the developer's shell leaks in.
  // (PG* variables pass, for a PostgreSQL password or TLS mode kept outside the URL.)
  const inherited: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'SYSTEMROOT', 'LANG'].includes(name) || name.startsWith('PG')) inherited[name] = value;
  }
  return {
    ...inherited,
    DATABASE_URL: options.databaseUrl,
    SECRET_KEY: options.secretKey,
    LOG_LEVEL: 'warn',
    ...options.env,
  };
}

/**
 * Spawns `node bin/latipay.mjs serve` on a free port and waits until GET /healthz answers
 * 200. Fails with the process's output when it exits or does not become healthy in time.
 * Call `kill()` in the test's teardown.
 */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  // Another process can take the port between our probe and the gateway's listen: try again.
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePort();
    try {
      return await spawnGateway(options, port);
    } catch (error) {
      if (attempt < 3 && (error as Error).message.includes('EADDRINUSE')) continue;
      throw error;
    }
  }
}

async function spawnGateway(options: GatewayProcessOptions, port: number): Promise<GatewayProcess> {
  const baseUrl = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [BIN, 'serve'], {
    cwd: options.dataDir,
    env: gatewayEnv({
      ...options,
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        PUBLIC_URL: baseUrl,
        NOTIFY_RETRY_SECONDS: '1',
        ...options.env,
      },
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  liveChildren.add(child);

  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-64 * 1024);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  let running = true;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      liveChildren.delete(child);
      resolve({ code, signal });
    });
  });

  const kill = () => {
    if (running) child.kill('SIGKILL');
  };
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<ProcessExit> => {
    if (running) child.kill(signal);
    try {
      return await within(`the gateway to exit after ${signal}`, timeoutMs, exited);
    } catch (error) {
      kill();
      throw new Error(`${(error as Error).message}\n--- gateway output ---\n${output}`);
    }
  };
  const gateway: GatewayProcess = { baseUrl, port, child, exited, output: () => output, stop, kill };

  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (!running) {
      const { code, signal } = await exited;
      throw new Error(`the gateway exited before it was healthy (code ${code}, signal ${signal})\n--- gateway output ---\n${output}`);
    }
    try {
      const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.status === 200) return gateway;
    } catch {
      // not listening yet
    }
    if (Date.now() >= deadline) {
      kill();
      await exited;
      throw new Error(`the gateway was not healthy after ${startTimeoutMs} ms\n--- gateway output ---\n${output}`);
    }
    await sleep(100);
  }
}

export interface CreatedMerchant {
  organisation_id: number;
  user_id: string;
  wallet_id: string;
  api_key: string;
}

/** `latipay merchant create … --json` against the database, as an operator would run it. */
export async function createMerchantViaCli(
  databaseUrl: string,
  dataDir: string,
  secretKey: string,
  { name = 'E2E Shop', currency = 'NZD', methods = 'alipay,wechat' }: { name?: string; currency?: string; methods?: string } = {},
): Promise<CreatedMerchant> {
  const { stdout } = await execFileAsync(
    process.execPath,
    [BIN, 'merchant', 'create', '--name', name, '--currency', currency, '--methods', methods, '--json'],
    { cwd: dataDir, env: gatewayEnv({ databaseUrl, secretKey }), timeout: 30_000 },
  );
  const lastLine = stdout.trim().split('\n').at(-1) ?? '';
  const merchant = JSON.parse(lastLine) as CreatedMerchant;
  if (!/^U\d+$/.test(merchant.user_id) || !/^W\d+$/.test(merchant.wallet_id) || !merchant.api_key) {
    throw new Error(`unexpected output of merchant create: ${stdout}`);
  }
  return merchant;
}

// ---------------------------------------------------------------------------------------
// The merchant's server

/** What the merchant answers a callback: `sent` acknowledges it, anything else asks for a retry. */
export type CallbackAnswer = 'sent' | 'fail';

export interface ReceivedCallback {
  path: string;
  contentType: string;
  fields: Record<string, string>;
  receivedAt: number;
  /** 1 for the first callback about this merchant_reference, 2 for the next… */
  attempt: number;
  answer: CallbackAnswer;
}

export interface ReceivedReturn {
  query: Record<string, string>;
  receivedAt: number;
}

/** Decides the answer to each callback; may be swapped while the server runs. */
export type CallbackScript = (callback: Omit<ReceivedCallback, 'answer'>) => CallbackAnswer;

/** Answers `fail` to the first `n` callbacks about each order, then `sent`. */
export function failFirst(n: number): CallbackScript {
  return (callback) => (callback.attempt <= n ? 'fail' : 'sent');
}

export interface MerchantServer {
  url: string;
  callbackUrl: string;
  returnUrl: string;
  callbacks: ReceivedCallback[];
  returns: ReceivedReturn[];
  script: CallbackScript;
  callbacksFor(merchantReference: string): ReceivedCallback[];
  /** Waits (bounded) until `merchantReference` has had at least `count` callbacks. */
  waitForCallbacks(merchantReference: string, count: number, timeoutMs?: number): Promise<ReceivedCallback[]>;
  close(): Promise<void>;
}

/** A merchant's web server on 127.0.0.1: records callbacks (POST /callback) and redirects (GET /return). */
export async function startMerchantServer(script: CallbackScript): Promise<MerchantServer> {
  const callbacks: ReceivedCallback[] = [];
  const returns: ReceivedReturn[] = [];

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://merchant.test');
    if (request.method === 'POST' && url.pathname === '/callback') {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const fields = Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
      const received = {
        path: url.pathname,
        contentType: request.headers['content-type'] ?? '',
        fields,
        receivedAt: Date.now(),
        attempt: callbacks.filter((c) => c.fields.merchant_reference === fields.merchant_reference).length + 1,
      };
      const answer = merchant.script(received);
      callbacks.push({ ...received, answer });
      response.writeHead(200, { 'content-type': 'text/plain' }).end(answer);
      return;
    }
    if (request.method === 'GET' && url.pathname === '/return') {
      returns.push({ query: Object.fromEntries(url.searchParams), receivedAt: Date.now() });
      response.writeHead(200, { 'content-type': 'text/html' }).end('<p>thank you</p>');
      return;
    }
    response.writeHead(404).end();
  };

  const server = createHttpServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  const callbacksFor = (reference: string) => callbacks.filter((c) => c.fields.merchant_reference === reference);
  const merchant: MerchantServer = {
    url,
    callbackUrl: `${url}/callback`,
    returnUrl: `${url}/return`,
    callbacks,
    returns,
    script,
    callbacksFor,
    waitForCallbacks: (reference, count, timeoutMs = 10_000) =>
      waitFor(`${count} callback(s) for ${reference}`, () => {
        const got = callbacksFor(reference);
        return got.length >= count ? got : undefined;
      }, { timeoutMs }),
    async close() {
      // The gateway keeps connections alive; close them rather than wait for them.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return merchant;
}

// ---------------------------------------------------------------------------------------
// The merchant's API calls and the customer's browser

export const PC_USER_AGENT =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';

export interface LatipayAnswer {
  code: number;
  message: string;
  [field: string]: unknown;
}

async function jsonOf(response: Response): Promise<LatipayAnswer> {
  const text = await response.text();
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as LatipayAnswer;
}

/** POST /v2/transaction with the sorted signature; returns the answer and the fields sent. */
export async function createTransaction(
  baseUrl: string,
  merchant: CreatedMerchant,
  fields: Record<string, string>,
): Promise<{ answer: LatipayAnswer; fields: Record<string, string> }> {
  const all = {
    user_id: merchant.user_id,
    wallet_id: merchant.wallet_id,
    amount: '120.00',
    ip: '122.122.122.1',
    version: '2.0',
    product_name: 'Pinot Noir, Otago',
    ...fields,
  };
  const response = await fetch(`${baseUrl}/v2/transaction`, {
    method: 'POST',
    headers: { 'content-type': 'application/json;charset=UTF-8' },
    body: JSON.stringify({ ...all, signature: sortedSignature(all, merchant.api_key) }),
  });
  return { answer: await jsonOf(response), fields: all };
}

/** GET /v2/transaction/{reference}, signed with the sorted form unless `signature` is given. */
export async function queryTransaction(
  baseUrl: string,
  merchant: CreatedMerchant,
  reference: string,
  options: { signature?: string; isBlock?: boolean; signal?: AbortSignal } = {},
): Promise<LatipayAnswer> {
  const params: Record<string, string> = { user_id: merchant.user_id };
  if (options.isBlock) params.is_block = '1';
  const signature = options.signature ?? sortedSignature({ merchant_reference: reference, ...params }, merchant.api_key);
  const query = new URLSearchParams({ ...params, signature });
  const response = await fetch(`${baseUrl}/v2/transaction/${encodeURIComponent(reference)}?${query}`, { signal: options.signal });
  return jsonOf(response);
}

/** POST /sandbox/orders/{order_id}: settles an order as an automated test does. */
export async function settleOrder(baseUrl: string, orderId: string, outcome: 'paid' | 'failed'): Promise<LatipayAnswer> {
  const response = await fetch(`${baseUrl}/sandbox/orders/${encodeURIComponent(orderId)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ outcome }),
  });
  return jsonOf(response);
}

/** The value of the first `name="…"` attribute in `html`, entities decoded. */
export function attributeOf(html: string, name: string): string | undefined {
  const match = new RegExp(`${name}="([^"]*)"`).exec(html);
  if (!match) return undefined;
  return match[1]
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

/** A unique merchant_reference. */
export function newReference(prefix = 'e2e'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}
