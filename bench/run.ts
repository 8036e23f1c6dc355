/**
 * `npm run bench [-- OPTIONS]`; `npm run bench -- --help` lists the options (bench/options.ts),
 * and an option it does not know is an error.
 *
 * Starts the gateway (`bin/latipay.mjs serve`) as its own process on a fresh database,
 * drives it from a separate load-generator process over 127.0.0.1 (wrk, bench/wrk.ts, or
 * autocannon, bench/load.ts; the fixed-rate settle scenario always with autocannon), samples
 * the gateway's RSS, and prints a table; the same figures go to bench/results/<timestamp>.json.
 * A bare node:http server answering a constant is driven the same way first, so every
 * figure also reads as a ratio to that transport ceiling. Create and query are run
 * interleaved with the bare ceiling of the same work on the same database
 * (bench/ceiling/, bench/compare-runs.ts), and printed as gateway / ceiling; so is
 * `serve --processes N` on PostgreSQL at N = 1, 2 (the processes scenario). The longpoll
 * scenario holds 10,000 `is_block=1` queries (bench/long-poll.ts).
 * Everything it starts, it stops (and SIGKILLs on the way out if need be).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { cpus, freemem, loadavg, nproc, tmpdir, totalmem } from './machine.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { comparePairs, formatComparisons, formatTable, medianRun, type PairedComparison } from './compare-runs.js';
import type { LoadJob, LoadResult } from './load.js';
import { HARD_LIMIT_SECONDS, type LongPollJob, type LongPollResult } from './long-poll.js';
import { countPaidSettleOrders, readPaidAt, seedOrders } from './seed-orders.js';
import { findWrk, prepareWrk, WRK_THREADS, wrkResult, wrkVersion } from './wrk.js';
import { formatBenchHelp, OptionError, parseBenchOptions, type BenchOptions } from './options.js';
import { portalScenario, preparePortalBench, type PortalExportFigures } from './portal.js';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin/latipay.mjs');
const LOAD = join(ROOT, 'bench/load.ts');
const LONG_POLL = join(ROOT, 'bench/long-poll.ts');
const CEILING = join(ROOT, 'bench/ceiling/server.ts');
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// ---------------------------------------------------------------------------------------
// Options

let options: BenchOptions;
try {
  options = parseBenchOptions(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof OptionError)) throw error;
  console.error(`npm run bench: ${error.message} (npm run bench -- --help lists the options)`);
  process.exit(2);
}
if (options.help) {
  console.log(formatBenchHelp());
  process.exit(0);
}
const { quick, profile, only, dbs } = options;

const settings = quick
  ? { duration: 3, warmup: 2, queryOrders: 100_000, settleRate: 500, outage: false }
  : { duration: 30, warmup: 5, queryOrders: 1_000_000, settleRate: 2_000, outage: true };
// --duration=N overrides the measured seconds per scenario.
if (options.duration !== undefined) settings.duration = options.duration;
// --settle-rate=N overrides the settlements requested per second.
if (options.settleRate !== undefined) settings.settleRate = options.settleRate;
const OUTAGE_SECONDS = options.outageSeconds;
// --retry-cap=N: the gateway's NOTIFY_RETRY_SECONDS, the longest wait between callback
// attempts (1 by default here, so an outage's backlog is retried every second; the
// gateway's own default is 30).
const RETRY_CAP_SECONDS = String(options.retryCap);
// --processes=N: the gateway runs as N processes (serve --processes) on PostgreSQL; SQLite has one.
const PROCESSES = options.processes;
const wrk = findWrk();
const loadGenerator = options.load ?? (wrk ? 'wrk' : 'autocannon');
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

/** The CPU time (user + system) a `/proc/PID/stat` text gives, in µs. */
function statCpuMicros(stat: string): number {
  // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
}

/** CPU time (user + system) of a process and its children (`serve --processes N`), in µs; 0 once it is gone. */
function cpuMicros(pid: number): number {
  try {
    const own = statCpuMicros(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return own + (children === '' ? 0 : children.split(/\s+/).reduce((sum, child) => sum + cpuMicros(Number(child)), 0));
  } catch {
    return 0;
  }
}
/** The whole machine's CPU time so far, every core together (/proc/stat's `cpu` line), in USER_HZ ticks. */
function machineCpuTicks(): { busy: number; total: number } {
  // user nice system idle iowait irq softirq steal (guest time is counted in user already).
  const ticks = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, t) => sum + t, 0);
  return { busy: total - ticks[3] - ticks[4], total };
}

/** USER_HZ, the unit of /proc/PID/stat's times: 100 on Linux. */
const CLOCK_TICKS = 100;

/**
 * CPU time of each PostgreSQL server process on this machine (`postgres` by name), in µs by
 * pid: the bench's server is local. A run's figure is what the processes alive at its end
 * spent during it (one that ended meanwhile, an idle connection closed, is left out, not
 * counted against the run).
 */
function postgresCpuMicros(): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.includes('(postgres)')) byPid.set(Number(entry), statCpuMicros(stat));
    } catch {
      // gone between the listing and the reading
    }
  }
  return byPid;
}

function postgresCpuSince(before: Map<number, number>): number {
  let spent = 0;
  for (const [pid, micros] of postgresCpuMicros()) spent += micros - (before.get(pid) ?? 0);
  return spent;
}

type MeasuredRun = LoadResult & { cpuMicrosPerRequest: number; databaseCpuMicrosPerRequest?: number };

/** runLoad, with the CPU the server (and on PostgreSQL the database) spent on it per answered request. */
async function runMeasured(job: LoadJob, server: Server, db?: string): Promise<MeasuredRun> {
  const before = cpuMicros(server.pid);
  const databaseBefore = db?.startsWith('postgres') ? postgresCpuMicros() : undefined;
  const result = await runLoad(job);
  const spent = cpuMicros(server.pid) - before;
  const databaseSpent = databaseBefore ? postgresCpuSince(databaseBefore) : undefined;
  const perRequest = (micros: number) => (result.requests > 0 ? Math.round((micros / result.requests) * 10) / 10 : 0);
  return { ...result, cpuMicrosPerRequest: perRequest(spent), ...(databaseSpent === undefined ? {} : { databaseCpuMicrosPerRequest: perRequest(databaseSpent) }) };
}

// ---------------------------------------------------------------------------------------
// The load generator process

async function runLoad(job: LoadJob): Promise<LoadResult> {
  if (wrk && loadGenerator === 'wrk' && job.scenario !== 'settle' && job.scenario !== 'pages') {
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
  longPoll?: LongPollFigures;
  /** The portal scenario's CSV export (bench/portal.ts). */
  portalExport?: PortalExportFigures;
  /** The drain counted from the first callback delivered after recovery (#21's measure). */
  drainFromFirstSeconds?: number;
  /** The share of the machine's CPU time (every core, /proc/stat) that was busy while the backlog drained. */
  drainMachineBusy?: number;
  note?: string;
}

/** The longpoll scenario's figures. */
interface LongPollFigures {
  held: number;
  sent: number;
  connectErrors: number;
  /** Connections that ended without an answer. */
  lost: number;
  answeredEarly: number;
  answered: number;
  answeredPaid: number;
  badAnswers: number;
  settleErrors: number;
  settleRate: number;
  settleSeconds: number;
  idleRssMiB: number;
  heldRssMiB: number;
  settleRssMiB: number;
  /** Answer received − the order's paid_at. */
  delayMs: { p50: number; p99: number; max: number };
  within100Ms: number;
  longPollsPerUser: number;
  firstErrors: string[];
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

type BenchMerchant = { organisation_id: number; user_id: string; wallet_id: string; api_key: string };

interface Server {
  url: string;
  /** Its process id (the parent's, with --processes). */
  pid: number;
  /** When its process was started (epoch ms). */
  startedAt: number;
  rss: RssSampler;
  /** What it printed last. */
  output(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

/** Starts a process that serves HTTP on `port`, and waits until `healthPath` answers. */
async function startServer(command: string[], cwd: string, env: NodeJS.ProcessEnv, port: number, healthPath: string): Promise<Server> {
  const startedAt = Date.now();
  const child = track(spawn(process.execPath, command, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] }));
  let output = '';
  const keep = (c: Buffer) => (output = (output + c.toString()).slice(-16_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const rss = new RssSampler(child.pid as number);
  const server: Server = {
    url,
    pid: child.pid as number,
    startedAt,
    rss,
    output: () => output,
    exited: () => child.exitCode !== null,
    stop: async () => {
      rss.stop();
      await stopChild(child);
    },
  };
  try {
    await waitHealthy(`${url}${healthPath}`, child, () => output);
  } catch (error) {
    await server.stop();
    throw error;
  }
  rss.takePeakMiB();
  return server;
}

/** With --profile: a V8 CPU profile of each process, in bench/results/profiles/gateway/ or …/ceiling/. */
const profileFlags = (server: 'gateway' | 'ceiling') =>
  profile ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, 'bench/results/profiles', server)}`] : [];

/** The gateway (`latipay serve`, compiled) with `processes` processes. */
async function startGateway(dir: string, cliEnv: NodeJS.ProcessEnv, processes: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<Server> {
  const port = await freePort();
  const env = {
    ...cliEnv,
    PORT: String(port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    NOTIFY_RETRY_SECONDS: RETRY_CAP_SECONDS,
    PROCESSES: String(processes),
    ...extraEnv,
  };
  return startServer([...profileFlags('gateway'), BIN, 'serve'], dir, env, port, '/healthz');
}

/**
 * The bare ceiling (bench/ceiling/) on the same kind of database, in the same place: a
 * SQLite file beside the gateway's, or a table in the gateway's PostgreSQL schema.
 */
async function startCeiling(kind: string, databaseUrl: string, dir: string, merchant: BenchMerchant, processes: number, seed: number): Promise<Server> {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    CEILING_DATABASE_URL: kind === 'sqlite' ? `sqlite:${join(dir, 'ceiling.db')}` : databaseUrl,
    CEILING_MERCHANT: JSON.stringify({ user_id: merchant.user_id, wallet_id: merchant.wallet_id, api_key: merchant.api_key }),
    CEILING_PORT: String(port),
    CEILING_HOST: '127.0.0.1',
    CEILING_SEED: String(seed),
    CEILING_PROCESSES: String(processes),
  };
  return startServer([...profileFlags('ceiling'), '--import', 'tsx', CEILING], ROOT, env, port, '/healthz');
}

/** Every gateway/ceiling comparison of the run, printed after the main table. */
const comparisons: PairedComparison[] = [];

/**
 * `job` against the gateway and the ceiling, interleaved: a warm-up of each, then
 * gateway, ceiling, gateway, ceiling… (options.rounds pairs), with the same load. The
 * gateway's row (its median run) goes to the main table; the pairs to `comparisons`.
 */
async function compareWithCeiling(
  db: string,
  scenario: string,
  job: Omit<LoadJob, 'url' | 'durationSeconds'>,
  gateway: Server,
  ceiling: Server,
  baselineRps: number | undefined,
): Promise<Row> {
  const loadAverage = Math.round(loadavg()[0] * 100) / 100;
  for (const side of [gateway, ceiling]) await runLoad({ ...job, url: side.url, durationSeconds: settings.warmup });
  const gatewayRuns: MeasuredRun[] = [];
  const ceilingRuns: MeasuredRun[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const from = (Date.now() - gateway.startedAt) / 1000;
    gatewayRuns.push(await runMeasured({ ...job, url: gateway.url, durationSeconds: settings.duration }, gateway, db));
    // To read this run alone in each side's profile: profile-top.ts --from= --to=.
    if (profile) console.log(`[${db}] ${scenario}: gateway run ${round + 1} from ${from.toFixed(1)} s to ${((Date.now() - gateway.startedAt) / 1000).toFixed(1)} s of its process`);
    const ceilingFrom = (Date.now() - ceiling.startedAt) / 1000;
    ceilingRuns.push(await runMeasured({ ...job, url: ceiling.url, durationSeconds: settings.duration }, ceiling, db));
    if (profile) console.log(`[${db}] ${scenario}: ceiling run ${round + 1} from ${ceilingFrom.toFixed(1)} s to ${((Date.now() - ceiling.startedAt) / 1000).toFixed(1)} s of its process`);
  }
  const comparison = { ...comparePairs(db, scenario, gatewayRuns, ceilingRuns), loadAverage, ceilingPeakRssMiB: ceiling.rss.takePeakMiB() };
  comparisons.push(comparison);
  console.log(
    `[${db}] ${scenario}: gateway ${comparison.gateway.requestsPerSecond}/s, ceiling ${comparison.ceiling.requestsPerSecond}/s, ` +
      `gateway / ceiling ${comparison.ratio.toFixed(2)} (pairs ${comparison.pairRatios.join(', ')}; load ${loadAverage}); ` +
      `CPU per request: gateway ${comparison.gateway.cpuMicrosPerRequest} µs, ceiling ${comparison.ceiling.cpuMicrosPerRequest} µs` +
        (db.startsWith('postgres') ? `; PostgreSQL's: ${comparison.gateway.databaseCpuMicrosPerRequest} µs, ${comparison.ceiling.databaseCpuMicrosPerRequest} µs` : ''),
  );
  return loadRow(db, scenario, medianRun(gatewayRuns), baselineRps, gateway.rss.takePeakMiB());
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
      const merchant = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as BenchMerchant;
      const merchantServer = await startMerchant();
      const settleCount = Math.ceil(settings.settleRate * settings.duration * 1.2) + 1_000;
      const outageSettleCount = wanted('outage') ? settleCount : 0;
      const longPollCount = wanted('longpoll') ? options.longPolls : 0;
      let seeded = Date.now();
      await seedOrders(databaseUrl, merchant, {
        queryCount: settings.queryOrders,
        settleCount: settleCount + outageSettleCount + longPollCount,
        callbackUrl: `${merchantServer.url}/callback`,
      });
      seeded = Date.now() - seeded;
      console.log(`[${kind}] seeded ${settings.queryOrders + settleCount + outageSettleCount + longPollCount} orders in ${(seeded / 1000).toFixed(1)} s`);
      const portal = wanted('portal') ? await preparePortalBench(cli, databaseUrl, options.portalOrders) : undefined;

      // The longpoll scenario holds more is_block=1 queries of one user than the default cap.
      const longPollEnv = longPollCount > 5_000 ? { LONG_POLLS_PER_USER: String(longPollCount) } : {};
      if (longPollCount > 5_000) console.log(`[${kind}] the gateway runs with LONG_POLLS_PER_USER=${longPollCount} (default 5000) for the longpoll scenario`);
      const rows: Row[] = [];
      const gateway = await startGateway(dir, cliEnv, processesFor(kind), longPollEnv);
      const compared = wanted('create') || wanted('query');
      let ceiling: Server | undefined;
      try {
        if (compared) ceiling = await startCeiling(kind, databaseUrl, dir, merchant, processesFor(kind), wanted('query') ? settings.queryOrders : 0);
        const common = { url: gateway.url, durationSeconds: settings.duration, merchant };
        // Each load scenario is preceded by an unmeasured warm-up of the same load, so that
        // the figures are of a JIT-compiled steady state, not of start-up.
        const warmUp = (job: Omit<LoadJob, 'url' | 'durationSeconds'>) => runLoad({ ...common, ...job, durationSeconds: settings.warmup });

        if (wanted('create') && ceiling) {
          const job = { scenario: 'create', connections: 128, merchant, callbackUrl: `${merchantServer.url}/callback` } as const;
          rows.push(await compareWithCeiling(dbLabel(kind), 'create transaction', job, gateway, ceiling, baselineRps));
        }
        if (wanted('query') && ceiling) {
          const job = { scenario: 'query', connections: 128, merchant, orderCount: settings.queryOrders } as const;
          rows.push({ ...(await compareWithCeiling(dbLabel(kind), 'query transaction', job, gateway, ceiling, baselineRps)), note: `${settings.queryOrders} seeded orders` });
        }
        await ceiling?.stop();
        ceiling = undefined;
        if (wanted('callback')) {
          rows.push(await callbackScenario(kind, databaseUrl, gateway, merchantServer, 0, settleCount, false));
        }
        if (wanted('outage')) {
          rows.push(await callbackScenario(kind, databaseUrl, gateway, merchantServer, settleCount, outageSettleCount, true));
        }
        if (wanted('paypage')) {
          await warmUp({ scenario: 'paypage', connections: 64, orderCount: settings.queryOrders });
          const r = await runLoad({ ...common, scenario: 'paypage', connections: 64, orderCount: settings.queryOrders });
          rows.push(loadRow(dbLabel(kind), 'GET /pay/{nonce}', r, baselineRps, gateway.rss.takePeakMiB()));
        }
        if (wanted('longpoll')) {
          rows.push(await longPollScenario(kind, databaseUrl, gateway, merchant, settleCount + outageSettleCount, longPollCount));
        }
        if (portal) {
          const portalCommon = { db: dbLabel(kind), baseUrl: gateway.url, rss: gateway.rss, setup: portal, durationSeconds: settings.duration, warmupSeconds: settings.warmup };
          rows.push(...(await portalScenario({ ...portalCommon, runLoad })));
        }
        if (gateway.exited()) throw new Error(`the gateway died:\n${gateway.output()}`);
      } finally {
        await ceiling?.stop();
        await gateway.stop();
      }
      const output = gateway.output();
      if (/"level":(4|5)0/.test(output)) console.log(`[${kind}] gateway warnings/errors (last lines):\n${output.split('\n').slice(-5).join('\n')}`);
      try {
        if (wanted('processes')) rows.push(...(await processesScenario(kind, databaseUrl, dir, cliEnv, merchant, merchantServer.url, baselineRps)));
      } finally {
        await merchantServer.close();
      }
      console.log(`[${kind}] done in ${((Date.now() - began) / 1000).toFixed(0)} s`);
      return rows;
    })) ?? []
  );
}

/** The gateway process counts the processes scenario compares with a ceiling of as many. */
const PROCESS_COUNTS = [1, 2];

/**
 * PostgreSQL only (`serve --processes N`): create and query at N = 1 and 2, each against
 * the ceiling running as N processes too (node:cluster, as the gateway), interleaved.
 */
async function processesScenario(
  kind: string,
  databaseUrl: string,
  dir: string,
  cliEnv: NodeJS.ProcessEnv,
  merchant: BenchMerchant,
  merchantUrl: string,
  baselineRps: number | undefined,
): Promise<Row[]> {
  if (kind !== 'postgres') {
    console.log(`[${kind}] processes: PostgreSQL only (SQLite has one writer); skipped`);
    return [];
  }
  const rows: Row[] = [];
  for (const n of PROCESS_COUNTS) {
    const gateway = await startGateway(dir, cliEnv, n);
    let ceiling: Server | undefined;
    try {
      ceiling = await startCeiling(kind, databaseUrl, dir, merchant, n, settings.queryOrders);
      const label = `${kind} ×${n}`;
      rows.push(await compareWithCeiling(label, 'create transaction', { scenario: 'create', connections: 128, merchant, callbackUrl: `${merchantUrl}/callback` }, gateway, ceiling, baselineRps));
      rows.push(await compareWithCeiling(label, 'query transaction', { scenario: 'query', connections: 128, merchant, orderCount: settings.queryOrders }, gateway, ceiling, baselineRps));
      if (gateway.exited()) throw new Error(`the gateway died:\n${gateway.output()}`);
    } finally {
      await ceiling?.stop();
      await gateway.stop();
    }
  }
  return rows;
}

/**
 * `count` waiting `is_block=1` queries held at once by the gateway (bench/long-poll.ts holds
 * them, one socket each): its RSS while they wait; then their orders are paid through the
 * sandbox at options.longPollRate a second, and each answer's delay after its payment
 * (the order's paid_at) is measured. Target (#21): RSS < 300 MiB, every answer within 100 ms.
 */
async function longPollScenario(kind: string, databaseUrl: string, gateway: Server, merchant: BenchMerchant, first: number, count: number): Promise<Row> {
  const { port } = new URL(gateway.url);
  const job: LongPollJob = {
    host: '127.0.0.1',
    port: Number(port),
    merchant: { user_id: merchant.user_id, api_key: merchant.api_key },
    first,
    count,
    rate: options.longPollRate,
    // Spread over four source addresses: 2,500 ports of each, far from the ephemeral range's end.
    sources: ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'],
    answerTimeoutSeconds: 30,
  };
  await sleep(1_000);
  gateway.rss.takePeakMiB();
  await sleep(1_000);
  const idleRss = gateway.rss.takePeakMiB();
  const child = track(spawn(process.execPath, ['--import', 'tsx', LONG_POLL, JSON.stringify(job)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] }));
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8_000)));
  const lines = createInterface({ input: child.stdout! });
  const events: Array<Record<string, unknown>> = [];
  let notify = () => {};
  lines.on('line', (line) => {
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
      notify();
    } catch {
      // not one of its JSON lines
    }
  });
  const nextEvent = (name: string, timeoutMs: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`long-poll client: no "${name}" after ${timeoutMs / 1000} s\n${stderr}`)), timeoutMs);
      const check = () => {
        const found = events.find((e) => e.event === name);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        } else if (child.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`long-poll client exited (${child.exitCode}):\n${stderr}`));
        }
      };
      notify = check;
      child.once('exit', check);
      check();
    });
  const killer = setTimeout(() => child.kill('SIGKILL'), (count / job.rate + HARD_LIMIT_SECONDS + 300) * 1000);
  try {
    const held = await nextEvent('held', 120_000);
    // Let the gateway take in the last of them, then watch its memory while they wait.
    await sleep(2_000);
    gateway.rss.takePeakMiB();
    await sleep(3_000);
    const heldRss = gateway.rss.takePeakMiB();
    child.stdin?.write('settle\n');
    const done = (await nextEvent('done', (count / job.rate + HARD_LIMIT_SECONDS + 30) * 1000)) as unknown as LongPollResult;
    const settleRss = gateway.rss.takePeakMiB();
    const paid = done.answers.filter(([, , status]) => status === 'paid');
    const paidAt = await readPaidAt(databaseUrl, paid.map(([orderId]) => orderId));
    const delays = paid.map(([orderId, at]) => at - (paidAt.get(orderId) ?? NaN)).filter((d) => !Number.isNaN(d)).sort((a, b) => a - b);
    const figures: LongPollFigures = {
      held: done.sent - done.answeredEarly,
      sent: done.sent,
      connectErrors: done.connectErrors,
      lost: done.lost,
      answeredEarly: done.answeredEarly,
      answered: done.answered,
      answeredPaid: paid.length,
      badAnswers: done.badAnswers,
      settleErrors: done.settleErrors,
      settleRate: job.rate,
      settleSeconds: done.settleSeconds,
      idleRssMiB: idleRss,
      heldRssMiB: heldRss,
      settleRssMiB: settleRss,
      delayMs: { p50: percentile(delays, 50), p99: percentile(delays, 99), max: delays.at(-1) ?? NaN },
      within100Ms: delays.filter((d) => d <= 100).length,
      longPollsPerUser: Math.max(5_000, count),
      firstErrors: done.firstErrors,
    };
    console.log(`[${kind}] long-poll: ${Number(held.sent)} queries sent and waiting; gateway RSS ${idleRss} MiB before, ${heldRss} MiB while they wait`);
    // Every query not answered `paid` is an error, whatever the cause (counted apart below).
    const errors = count - paid.length + done.settleErrors;
    return {
      db: dbLabel(kind),
      scenario: `long-poll ×${count.toLocaleString('en-US')}`,
      errors,
      peakRssMiB: Math.max(heldRss, settleRss),
      longPoll: figures,
      note: `LONG_POLLS_PER_USER=${figures.longPollsPerUser}; paid at ${job.rate}/s`,
    };
  } finally {
    clearTimeout(killer);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** Settles orders at a fixed rate; optionally with the merchant down for the first OUTAGE_SECONDS. */
async function callbackScenario(
  kind: string,
  databaseUrl: string,
  gateway: Server,
  merchant: MerchantServer,
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
    url: gateway.url,
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
  // After an outage, the machine's CPU while the backlog drains: busy or not.
  const cpuSamples = outage ? [{ at: Date.now(), ...machineCpuTicks() }] : [];
  let settled = await countSettled();
  for (;;) {
    while (merchant.received.size - before.size < settled && Date.now() < deadline) {
      await sleep(250);
      if (outage) cpuSamples.push({ at: Date.now(), ...machineCpuTicks() });
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
    ...loadRow(dbLabel(kind), outage ? `settle→callback, merchant down ${OUTAGE_SECONDS}s` : 'settle→callback', r, undefined, gateway.rss.takePeakMiB()),
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
    const from = [...cpuSamples].reverse().find((c) => c.at <= firstAfter) ?? cpuSamples[0];
    const to = cpuSamples.find((c) => c.at >= lastCallback) ?? cpuSamples[cpuSamples.length - 1];
    if (to.total > from.total) row.drainMachineBusy = Math.round(((to.busy - from.busy) / (to.total - from.total)) * 100) / 100;
    // To read the drain alone in the gateway's profile: profile-top.ts --from= --to=.
    const ofProcess = (at: number) => ((at - gateway.startedAt) / 1000).toFixed(1);
    if (profile) console.log(`[${kind}] drain: from ${ofProcess(firstAfter)} s to ${ofProcess(lastCallback)} s of the gateway's process`);
  }
  return row;
}

// ---------------------------------------------------------------------------------------
// Report

function printTable(rows: Row[]): void {
  const header = ['db', 'scenario', 'req/s', '×base', 'p50 ms', 'p99 ms', 'p99.9 ms', 'errors', 'peak RSS MiB', 'callbacks / answers'];
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
        (r.drainSeconds !== undefined ? `, drained ${r.drainSeconds} s after recovery, ${r.drainFromFirstSeconds} s after the first delivery then` : '') +
        (r.drainMachineBusy !== undefined ? ` (machine CPU ${Math.round(r.drainMachineBusy * 100)}% busy)` : '')
      : r.longPoll
        ? `${r.longPoll.answeredPaid}/${r.longPoll.sent} answered paid, after payment p50 ${r.longPoll.delayMs.p50} ms p99 ${r.longPoll.delayMs.p99} ms max ${r.longPoll.delayMs.max} ms`
        : r.portalExport
          ? `${r.portalExport.rows.toLocaleString('en-US')} rows in ${r.portalExport.seconds} s, ${r.portalExport.rowsPerSecond.toLocaleString('en-US')} rows/s, RSS ${r.portalExport.rssBeforeMiB} MiB before`
          : '',
  ]);
  console.log(formatTable(header, lines, (i) => i >= 2 && i <= 8));
}

/** The longpoll rows against #21's targets. */
function printLongPolls(rows: Row[]): void {
  for (const r of rows) {
    const l = r.longPoll;
    if (!l) continue;
    console.log(
      `${r.db}: ${l.held.toLocaleString('en-US')} is_block=1 queries held (LONG_POLLS_PER_USER=${l.longPollsPerUser}); gateway RSS ${l.idleRssMiB} MiB idle, ` +
        `${l.heldRssMiB} MiB while they wait (< 300: ${l.heldRssMiB < 300 ? 'yes' : 'no'}), ${l.settleRssMiB} MiB while they are answered; ` +
        `paid at ${l.settleRate}/s asked, all paid in ${l.settleSeconds || '(not all paid)'} s; ${l.within100Ms}/${l.sent} answered within 100 ms of the payment ` +
        `(p50 ${l.delayMs.p50}, p99 ${l.delayMs.p99}, max ${l.delayMs.max} ms); errors: ${l.connectErrors} connect, ${l.lost} lost, ${l.answeredEarly} answered early, ` +
        `${l.badAnswers} bad answers, ${l.settleErrors} payments refused` + (l.firstErrors.length > 0 ? `\n  first errors: ${l.firstErrors.join(' | ')}` : ''),
    );
  }
}

async function main(): Promise<void> {
  const started = Date.now();
  const machine = {
    nproc: nproc(),
    cpu: cpus(),
    memoryMiB: Math.round(totalmem() / 2 ** 20),
    freeMemoryMiB: Math.round(freemem() / 2 ** 20),
    node: process.version,
    loadAverageAtStart: loadavg().map((n) => Math.round(n * 100) / 100),
  };
  const load = wrk && loadGenerator === 'wrk' ? { generator: 'wrk', version: wrkVersion(wrk), threads: WRK_THREADS, settle: 'autocannon' } : { generator: 'autocannon' };
  console.log(`latipay bench (${quick ? 'quick' : 'full'}): ${machine.nproc} × ${machine.cpu}, node ${machine.node}`);
  console.log(`load average at start: ${loadavg().map((n) => n.toFixed(2)).join(', ')}`);
  console.log(`load: ${'version' in load ? `wrk ${load.version}, ${load.threads} thread${load.threads === 1 ? '' : 's'} (settle: autocannon)` : 'autocannon'}`);
  // The gateway runs compiled (dist/), as `npm start` runs it, not through tsx.
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  const rows: Row[] = [];
  const baseline = await runBaseline();
  rows.push(baseline);
  for (const kind of dbs) rows.push(...(await benchDatabase(kind, baseline.requestsPerSecond)));
  console.log('');
  printTable(rows);
  if (comparisons.length > 0) {
    console.log(`\nThe gateway against the bare ceiling (bench/ceiling/), same database, interleaved, ${options.rounds} pair${options.rounds === 1 ? '' : 's'} of ${settings.duration} s each (medians; the ratio is the median of the pairs'):\n`);
    console.log(formatComparisons(comparisons));
  }
  if (rows.some((r) => r.longPoll)) {
    console.log('');
    printLongPolls(rows);
  }
  const loadAverageAtEnd = loadavg().map((n) => Math.round(n * 100) / 100);
  console.log(`\nload average at end: ${loadAverageAtEnd.join(', ')}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = join(ROOT, 'bench/results', `${stamp}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ startedAt: new Date(started).toISOString(), mode: quick ? 'quick' : 'full', settings, rounds: options.rounds, postgresProcesses: PROCESSES, machine: { ...machine, loadAverageAtEnd }, load, rows, comparisons }, null, 2) + '\n');
  console.log(`\n${((Date.now() - started) / 1000).toFixed(0)} s in all; results in ${file}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
