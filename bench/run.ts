/**
 * `npm run bench [-- --quick] [--db=sqlite,postgres] [--only=create,query,callback,outage,paypage]
 *   [--outage-seconds=30] [--retry-cap=1] [--processes=N] [--profile] [--load=wrk|autocannon]` (--processes:
 *   on PostgreSQL the gateway runs as N processes sharing its port; --profile: the gateway runs
 *   with --cpu-prof into bench/results/profiles/; read them with bench/profile-top.ts;
 *   --load: the load generator, by default wrk if it is on PATH)
 *
 * Starts the gateway (`bin/latipay.mjs serve`) as its own process on a fresh database,
 * drives it from a separate load-generator process over 127.0.0.1 (wrk, bench/wrk.ts, or
 * autocannon, bench/load.ts; the fixed-rate settle scenario always with autocannon), samples
 * the gateway's RSS, and prints a table; the same figures go to bench/results/<timestamp>.json.
 * A bare node:http server answering a constant is driven the same way first, so every
 * figure also reads as a ratio to that transport ceiling.
 * Everything it starts, it stops (and SIGKILLs on the way out if need be).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { cpus, freemem, nproc, tmpdir, totalmem } from './machine.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import type { LoadJob, LoadResult } from './load.js';
import { countPaidSettleOrders, readPaidAt, seedOrders } from './seed-orders.js';
import { findWrk, prepareWrk, WRK_THREADS, wrkResult, wrkVersion } from './wrk.js';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/latipay.mjs');
const LOAD = join(ROOT, 'bench/load.ts');
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// ---------------------------------------------------------------------------------------
// Options

const args = process.argv.slice(2);
const flag = (name: string) => args.find((a) => a === `--${name}` || a.startsWith(`--${name}=`));
const valueOf = (name: string) => flag(name)?.split('=')[1];
const quick = Boolean(flag('quick'));
const profile = Boolean(flag('profile'));
const only = valueOf('only')?.split(',');
const dbs = valueOf('db')?.split(',') ?? ['sqlite', 'postgres'];

const settings = quick
  ? { duration: 3, warmup: 2, queryOrders: 100_000, settleRate: 500, outage: false }
  : { duration: 30, warmup: 5, queryOrders: 1_000_000, settleRate: 2_000, outage: true };
// --duration=N overrides the measured seconds per scenario.
if (valueOf('duration')) settings.duration = Number(valueOf('duration'));
// --settle-rate=N overrides the settlements requested per second.
if (valueOf('settle-rate')) settings.settleRate = Number(valueOf('settle-rate'));
const OUTAGE_SECONDS = Number(valueOf('outage-seconds') ?? 30);
// --retry-cap=N: the gateway's NOTIFY_RETRY_SECONDS, the longest wait between callback
// attempts (1 by default here, so an outage's backlog is retried every second; the
// gateway's own default is 30).
const RETRY_CAP_SECONDS = valueOf('retry-cap') ?? '1';
// --processes=N: the gateway runs as N processes (serve --processes) on PostgreSQL; SQLite has one.
const PROCESSES = Number(valueOf('processes') ?? 1);
if (!Number.isInteger(PROCESSES) || PROCESSES < 1) throw new Error(`--processes=${valueOf('processes')}: a whole number from 1`);
const wrk = findWrk();
const loadGenerator = valueOf('load') ?? (wrk ? 'wrk' : 'autocannon');
if (loadGenerator !== 'wrk' && loadGenerator !== 'autocannon') throw new Error(`--load=${loadGenerator}: wrk or autocannon`);
if (loadGenerator === 'wrk' && !wrk) throw new Error('--load=wrk: wrk is not on PATH');
const wanted = (scenario: string) => (!only || only.includes(scenario)) && (scenario !== 'outage' || settings.outage || only?.includes('outage'));

// ---------------------------------------------------------------------------------------
// Children: every one is killed on the way out, whatever happens.

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited before it was healthy:\n${output()}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // not yet listening
    }
    await sleep(100);
  }
  throw new Error(`not healthy after 30 s:\n${output()}`);
}

async function stopChild(child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------
// RSS sampling of the server process, every 200 ms

class RssSampler {
  private timer: NodeJS.Timeout;
  private peakKiB = 0;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 200);
    this.sample();
  }
  /** The RSS of the process and its children (the processes of `serve --processes N`), summed. */
  private sample(): void {
    const rssKiB = (pid: number): number => {
      try {
        const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
        return Number(match?.[1] ?? 0) + (children === '' ? 0 : children.split(/\s+/).reduce((sum, child) => sum + rssKiB(Number(child)), 0));
      } catch {
        return 0; // the process is gone
      }
    };
    this.peakKiB = Math.max(this.peakKiB, rssKiB(this.pid));
  }
  /** Peak since the last call, in MiB; starts the next window. */
  takePeakMiB(): number {
    this.sample();
    const peak = this.peakKiB / 1024;
    this.peakKiB = 0;
    return Math.round(peak * 10) / 10;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

// ---------------------------------------------------------------------------------------
// The load generator process

async function runLoad(job: LoadJob): Promise<LoadResult> {
  if (wrk && loadGenerator === 'wrk' && job.scenario !== 'settle') {
    const { args, cleanup } = prepareWrk(job);
    try {
      return wrkResult(await runLoadProcess(wrk, args, job.durationSeconds));
    } finally {
      cleanup();
    }
  }
  const stdout = await runLoadProcess(process.execPath, ['--import', 'tsx', LOAD, JSON.stringify(job)], job.durationSeconds);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as LoadResult;
}

/** Its stdout. */
async function runLoadProcess(command: string, commandArgs: string[], durationSeconds: number): Promise<string> {
  const child = track(spawn(command, commandArgs, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8_000)));
  // The load generator bounds itself by duration; this is the backstop.
  const killer = setTimeout(() => child.kill('SIGKILL'), (durationSeconds + 60) * 1000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(killer);
  if (code !== 0 || !stdout.trim()) throw new Error(`load generator ${command} failed (code ${code}):\n${stderr}`);
  return stdout;
}

// ---------------------------------------------------------------------------------------
// The merchant's server: answers `sent`, or 503 while "down"

interface MerchantServer {
  url: string;
  received: Map<string, number>;
  down: boolean;
  close(): Promise<void>;
}

async function startMerchant(): Promise<MerchantServer> {
  const merchant: MerchantServer = { url: '', received: new Map(), down: false, close: async () => {} };
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      if (merchant.down) return void response.writeHead(503).end('down');
      const orderId = new URLSearchParams(Buffer.concat(chunks).toString()).get('order_id');
      if (orderId && !merchant.received.has(orderId)) merchant.received.set(orderId, Date.now());
      response.writeHead(200, { 'content-type': 'text/plain' }).end('sent');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  merchant.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  merchant.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return merchant;
}

// ---------------------------------------------------------------------------------------
// Scenarios

interface Row {
  db: string;
  scenario: string;
  requestsPerSecond?: number;
  ratioToBaseline?: number;
  latencyMs?: LoadResult['latencyMs'];
  errors?: number;
  errorDetail?: { non2xx: number; errors: number; timeouts: number; badCodes: number };
  peakRssMiB?: number;
  /** callback scenarios */
  settled?: number;
  delivered?: number;
  deliveredPerSecond?: number;
  callbackDelayMs?: { p50: number; p99: number; max: number };
  drainSeconds?: number;
  /** The drain counted from the first callback delivered after recovery (#21's measure). */
  drainFromFirstSeconds?: number;
  note?: string;
}

// autocannon counts a timeout in `errors` too.
const errorsOf = (r: LoadResult) => r.non2xx + r.errors + r.badCodes;

function loadRow(db: string, scenario: string, r: LoadResult, baseline: number | undefined, rss: number): Row {
  return {
    db,
    scenario,
    requestsPerSecond: Math.round(r.requestsPerSecond),
    ratioToBaseline: baseline ? Math.round((r.requestsPerSecond / baseline) * 1000) / 1000 : undefined,
    latencyMs: r.latencyMs,
    errors: errorsOf(r),
    errorDetail: { non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, badCodes: r.badCodes },
    peakRssMiB: rss,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function runBaseline(): Promise<Row> {
  const port = await freePort();
  const source = `require('node:http').createServer((q, s) => { s.writeHead(200, {'content-type': 'application/json'}); s.end('{"code":0,"message":"SUCCESS"}'); }).listen(${port}, '127.0.0.1');`;
  const child = track(spawn(process.execPath, ['-e', source], { stdio: 'ignore' }));
  try {
    await waitHealthy(`http://127.0.0.1:${port}/`, child, () => '');
    const rss = new RssSampler(child.pid as number);
    const r = await runLoad({ scenario: 'baseline', url: `http://127.0.0.1:${port}`, connections: 128, durationSeconds: settings.duration });
    const row = loadRow('-', 'baseline node:http', r, r.requestsPerSecond, rss.takePeakMiB());
    rss.stop();
    return row;
  } finally {
    await stopChild(child);
  }
}

async function withDatabase<T>(kind: string, work: (databaseUrl: string, dir: string) => Promise<T>): Promise<T | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'latipay-bench-'));
  try {
    if (kind === 'sqlite') return await work(`sqlite:${join(dir, 'bench.db')}`, dir);
    const schema = `bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
    try {
      await admin.connect();
    } catch (error) {
      console.log(`PostgreSQL not reachable at ${POSTGRES_URL} (${(error as Error).message}): skipped`);
      return undefined;
    }
    try {
      await admin.query(`create schema ${schema}`);
      console.log(`[postgres] schema ${schema}`);
      const sep = POSTGRES_URL.includes('?') ? '&' : '?';
      return await work(`${POSTGRES_URL}${sep}options=-c%20search_path%3D${schema}`, dir);
    } finally {
      await admin.query(`drop schema if exists ${schema} cascade`).catch(() => {});
      await admin.end();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function processesFor(kind: string): number {
  return kind === 'postgres' ? PROCESSES : 1;
}

/** The table's db column: `postgres ×2` for two gateway processes. */
function dbLabel(kind: string): string {
  return processesFor(kind) > 1 ? `${kind} ×${processesFor(kind)}` : kind;
}

async function benchDatabase(kind: string, baselineRps: number | undefined): Promise<Row[]> {
  return (
    (await withDatabase(kind, async (databaseUrl, dir) => {
      const began = Date.now();
      const secretKey = randomBytes(32).toString('hex');
      const cliEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', DATABASE_URL: databaseUrl, SECRET_KEY: secretKey, LOG_LEVEL: 'warn' };
      const cli = (...cliArgs: string[]) => execFileAsync(process.execPath, [BIN, ...cliArgs], { cwd: dir, env: cliEnv, timeout: 60_000 });

      // `merchant create` migrates the fresh database through the CLI (as `latipay migrate`
      // would, one tsx start-up fewer); then the orders table is filled directly.
      const { stdout } = await cli('merchant', 'create', '--name', 'Bench Shop', '--currency', 'NZD', '--methods', 'alipay,wechat', '--json');
      const merchant = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { organisation_id: number; user_id: string; wallet_id: string; api_key: string };
      const merchantServer = await startMerchant();
      const settleCount = Math.ceil(settings.settleRate * settings.duration * 1.2) + 1_000;
      const outageSettleCount = wanted('outage') ? settleCount : 0;
      let seeded = Date.now();
      await seedOrders(databaseUrl, merchant, {
        queryCount: settings.queryOrders,
        settleCount: settleCount + outageSettleCount,
        callbackUrl: `${merchantServer.url}/callback`,
      });
      seeded = Date.now() - seeded;
      console.log(`[${kind}] seeded ${settings.queryOrders + settleCount + outageSettleCount} orders in ${(seeded / 1000).toFixed(1)} s`);

      const port = await freePort();
      const baseUrl = `http://127.0.0.1:${port}`;
      const nodeFlags = profile ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, 'bench/results/profiles')}`] : [];
      const gateway = track(
        spawn(process.execPath, [...nodeFlags, BIN, 'serve'], {
          cwd: dir,
          env: { ...cliEnv, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: baseUrl, NOTIFY_RETRY_SECONDS: RETRY_CAP_SECONDS, PROCESSES: String(processesFor(kind)) },
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );
      let output = '';
      const keep = (c: Buffer) => (output = (output + c.toString()).slice(-16_000));
      gateway.stdout?.on('data', keep);
      gateway.stderr?.on('data', keep);
      const rows: Row[] = [];
      const rss = new RssSampler(gateway.pid as number);
      try {
        await waitHealthy(`${baseUrl}/healthz`, gateway, () => output);
        rss.takePeakMiB();
        const common = { url: baseUrl, durationSeconds: settings.duration, merchant };
        // Each load scenario is preceded by an unmeasured warm-up of the same load, so that
        // the figures are of a JIT-compiled steady state, not of start-up.
        const warmUp = (job: Omit<LoadJob, 'url' | 'durationSeconds'>) => runLoad({ ...common, ...job, durationSeconds: settings.warmup });

        if (wanted('create')) {
          await warmUp({ scenario: 'create', connections: 128, callbackUrl: `${merchantServer.url}/callback` });
          const r = await runLoad({ ...common, scenario: 'create', connections: 128, callbackUrl: `${merchantServer.url}/callback` });
          rows.push(loadRow(dbLabel(kind), 'create transaction', r, baselineRps, rss.takePeakMiB()));
        }
        if (wanted('query')) {
          await warmUp({ scenario: 'query', connections: 128, orderCount: settings.queryOrders });
          const r = await runLoad({ ...common, scenario: 'query', connections: 128, orderCount: settings.queryOrders });
          rows.push({ ...loadRow(dbLabel(kind), 'query transaction', r, baselineRps, rss.takePeakMiB()), note: `${settings.queryOrders} seeded orders` });
        }
        if (wanted('callback')) {
          rows.push(await callbackScenario(kind, databaseUrl, baseUrl, merchantServer, rss, 0, settleCount, false));
        }
        if (wanted('outage')) {
          rows.push(await callbackScenario(kind, databaseUrl, baseUrl, merchantServer, rss, settleCount, outageSettleCount, true));
        }
        if (wanted('paypage')) {
          await warmUp({ scenario: 'paypage', connections: 64, orderCount: settings.queryOrders });
          const r = await runLoad({ ...common, scenario: 'paypage', connections: 64, orderCount: settings.queryOrders });
          rows.push(loadRow(dbLabel(kind), 'GET /pay/{nonce}', r, baselineRps, rss.takePeakMiB()));
        }
        if (gateway.exitCode !== null) throw new Error(`the gateway died:\n${output}`);
        console.log(`[${kind}] done in ${((Date.now() - began) / 1000).toFixed(0)} s`);
      } finally {
        rss.stop();
        await stopChild(gateway);
        await merchantServer.close();
      }
      if (/"level":(4|5)0/.test(output)) console.log(`[${kind}] gateway warnings/errors (last lines):\n${output.split('\n').slice(-5).join('\n')}`);
      return rows;
    })) ?? []
  );
}

/** Settles orders at a fixed rate; optionally with the merchant down for the first OUTAGE_SECONDS. */
async function callbackScenario(
  kind: string,
  databaseUrl: string,
  baseUrl: string,
  merchant: MerchantServer,
  rss: RssSampler,
  first: number,
  count: number,
  outage: boolean,
): Promise<Row> {
  const before = new Set(merchant.received.keys());
  const start = Date.now();
  let recoveredAt = start;
  let recovery: NodeJS.Timeout | undefined;
  if (outage) {
    merchant.down = true;
    recovery = setTimeout(() => {
      merchant.down = false;
      recoveredAt = Date.now();
    }, OUTAGE_SECONDS * 1000);
  }
  const r = await runLoad({
    scenario: 'settle',
    url: baseUrl,
    // Enough connections that the rate, not connections × latency, decides how many
    // settlements are offered (at 32, a 16 ms answer already capped it at 2,000/s).
    connections: 128,
    durationSeconds: settings.duration,
    rate: settings.settleRate,
    settleFirst: first,
    settleCount: count,
  });
  if (outage) {
    await sleep(Math.max(0, start + OUTAGE_SECONDS * 1000 - Date.now()));
    clearTimeout(recovery);
    if (merchant.down) {
      merchant.down = false;
      recoveredAt = Date.now();
    }
  }
  // Wait (bounded) until every paid order of this run has had its callback. Settlements
  // still in flight when the load generator stopped land meanwhile: count them again.
  const deadline = Date.now() + (outage ? 120_000 : quick ? 10_000 : 30_000);
  const countSettled = async () => (await countPaidSettleOrders(databaseUrl)) - before.size;
  let settled = await countSettled();
  for (;;) {
    while (merchant.received.size - before.size < settled && Date.now() < deadline) {
      await sleep(250);
      settled = await countSettled();
    }
    // A settlement may have landed since the last count: count once more after a pause
    // (and wait for its callback too), so that no callback is counted without its settlement.
    await sleep(250);
    const again = await countSettled();
    if (again === settled || Date.now() >= deadline) break;
    settled = again;
  }
  const end = Date.now();
  const mine = [...merchant.received.entries()].filter(([id]) => !before.has(id));
  const paidAt = await readPaidAt(databaseUrl, mine.map(([id]) => id));
  const delays = mine.map(([id, at]) => at - (paidAt.get(id) ?? at)).sort((a, b) => a - b);
  const lastCallback = mine.reduce((max, [, at]) => Math.max(max, at), start);
  const row: Row = {
    ...loadRow(dbLabel(kind), outage ? `settle→callback, merchant down ${OUTAGE_SECONDS}s` : 'settle→callback', r, undefined, rss.takePeakMiB()),
    settled,
    delivered: mine.length,
    deliveredPerSecond: mine.length > 0 ? Math.round(mine.length / ((lastCallback - start) / 1000)) : 0,
    callbackDelayMs: { p50: percentile(delays, 50), p99: percentile(delays, 99), max: delays.at(-1) ?? NaN },
    note: `settlements at ${settings.settleRate}/s for ${settings.duration}s${mine.length < settled ? `; ${settled - mine.length} callbacks missing after ${((end - start) / 1000).toFixed(0)} s` : ''}`,
  };
  if (outage) {
    row.drainSeconds = Math.round((lastCallback - recoveredAt) / 100) / 10;
    const firstAfter = mine.reduce((min, [, at]) => (at >= recoveredAt ? Math.min(min, at) : min), lastCallback);
    row.drainFromFirstSeconds = Math.round((lastCallback - firstAfter) / 100) / 10;
  }
  return row;
}

// ---------------------------------------------------------------------------------------
// Report

function printTable(rows: Row[]): void {
  const header = ['db', 'scenario', 'req/s', '×base', 'p50 ms', 'p99 ms', 'p99.9 ms', 'errors', 'peak RSS MiB', 'callbacks'];
  const lines = rows.map((r) => [
    r.db,
    r.scenario,
    r.requestsPerSecond?.toLocaleString('en-US') ?? '',
    r.ratioToBaseline?.toFixed(2) ?? '',
    r.latencyMs?.p50.toString() ?? '',
    r.latencyMs?.p99.toString() ?? '',
    r.latencyMs?.p99_9.toString() ?? '',
    r.errors?.toString() ?? '',
    r.peakRssMiB?.toString() ?? '',
    r.callbackDelayMs
      ? `${r.delivered}/${r.settled} delivered, ${r.deliveredPerSecond}/s, delay p50 ${r.callbackDelayMs.p50} ms p99 ${r.callbackDelayMs.p99} ms` +
        (r.drainSeconds !== undefined ? `, drained ${r.drainSeconds} s after recovery, ${r.drainFromFirstSeconds} s after the first delivery then` : '')
      : '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const format = (cells: string[]) => '| ' + cells.map((c, i) => (i >= 2 && i <= 8 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ') + ' |';
  console.log(format(header));
  console.log('|' + widths.map((w, i) => (i >= 2 && i <= 8 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|');
  for (const l of lines) console.log(format(l));
}

async function main(): Promise<void> {
  const started = Date.now();
  const machine = { nproc: nproc(), cpu: cpus(), memoryMiB: Math.round(totalmem() / 2 ** 20), freeMemoryMiB: Math.round(freemem() / 2 ** 20), node: process.version };
  const load = wrk && loadGenerator === 'wrk' ? { generator: 'wrk', version: wrkVersion(wrk), threads: WRK_THREADS, settle: 'autocannon' } : { generator: 'autocannon' };
  console.log(`latipay bench (${quick ? 'quick' : 'full'}): ${machine.nproc} × ${machine.cpu}, node ${machine.node}`);
  console.log(`load: ${'version' in load ? `wrk ${load.version}, ${load.threads} thread${load.threads === 1 ? '' : 's'} (settle: autocannon)` : 'autocannon'}`);
  // The gateway runs compiled (dist/), as `npm start` runs it, not through tsx.
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  const rows: Row[] = [];
  const baseline = await runBaseline();
  rows.push(baseline);
  for (const kind of dbs) rows.push(...(await benchDatabase(kind, baseline.requestsPerSecond)));
  console.log('');
  printTable(rows);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(ROOT, 'bench/results', `${stamp}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ startedAt: new Date(started).toISOString(), mode: quick ? 'quick' : 'full', settings, postgresProcesses: PROCESSES, machine, load, rows }, null, 2) + '\n');
  console.log(`\n${((Date.now() - started) / 1000).toFixed(0)} s in all; results in ${file}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
