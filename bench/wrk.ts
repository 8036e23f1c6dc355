/**
 * Drives a load job with wrk (C; scripted in LuaJIT, bench/wrk/*.lua) rather than with
 * autocannon, whose JavaScript takes about half of one of the bench box's two cores away
 * from the gateway it measures. run.ts uses it, when wrk is on PATH, for every scenario
 * but settle, which needs a fixed request rate (wrk has none). prepareWrk() writes the
 * job's inputs to a temp dir and gives wrk's arguments; wrkResult() reads the JSON line
 * that the scripts' done() prints. What the scripts check, and their start-up ramp, are
 * explained in bench/wrk/common.lua.
 *
 * One wrk thread: measured on the 2-core bench box in interleaved pairs (3 s runs, 128
 * connections), one thread gave the node:http baseline ~10% more than two (22 pairs: median
 * ×1.13, geometric mean ×1.09) and the gateway's create and query the same within the
 * noise (38 pairs each: ×0.94–1.01); a thread needs 0.1–0.4 of a core at these rates.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BROWSER_USER_AGENT, createFields, orderNonce, queryReference, sortedMessage, sortedSignature, type LoadJob, type LoadResult } from './load.js';
import { tmpdir } from './machine.js';

const SCRIPTS = fileURLToPath(new URL('wrk/', import.meta.url));
export const WRK_THREADS = 1;
/** query/paypage: how many seeded orders are signed up front and cycled through. */
const SAMPLE = 20_000;

/** wrk's path if it is on PATH. */
export function findWrk(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    try {
      accessSync(join(dir, 'wrk'), constants.X_OK);
      return join(dir, 'wrk');
    } catch {
      // not here
    }
  }
  return undefined;
}

/** "4.1.0" from `wrk -v` ("wrk debian/4.1.0-3+b2 [epoll] Copyright …", exit code 1). */
export function wrkVersion(wrk: string): string {
  const { stdout } = spawnSync(wrk, ['-v'], { encoding: 'utf8', timeout: 5_000 });
  return /(\d+\.\d+\.\d+)/.exec(stdout ?? '')?.[1] ?? 'unknown';
}

export function prepareWrk(job: LoadJob): { args: string[]; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'latipay-wrk-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const random = (n: number) => Math.floor(Math.random() * n);
  /** A random sample of the seeded orders' paths, one a line. */
  const pathsFile = (pathOf: (i: number) => string) => {
    const file = join(dir, 'paths');
    const count = job.orderCount ?? 0;
    writeFileSync(file, Array.from({ length: Math.min(SAMPLE, count) }, () => pathOf(random(count))).join('\n') + '\n');
    return file;
  };
  const threads = Math.min(WRK_THREADS, job.connections);
  const m = job.merchant;
  let script = 'get.lua';
  let headers: string[] = [];
  // wrk gives each thread connections / threads.
  const scriptArgs = [String(Math.floor(job.connections / threads))];
  try {
    switch (job.scenario) {
      case 'baseline':
        break;
      case 'create': {
        if (!m) throw new Error('create needs a merchant');
        const fields = createFields(m, job.callbackUrl, '{ref}');
        const run = `bw-${Date.now().toString(36)}-${random(2 ** 32).toString(36)}`;
        script = 'create.lua';
        scriptArgs.push(JSON.stringify({ ...fields, signature: '{sig}' }), sortedMessage(fields, m.api_key), m.api_key, run);
        break;
      }
      case 'query': {
        if (!m || !job.orderCount) throw new Error('query needs a merchant and orderCount');
        const signed = (reference: string) =>
          `/v2/transaction/${reference}?user_id=${m.user_id}&signature=${sortedSignature({ merchant_reference: reference, user_id: m.user_id }, m.api_key)}`;
        scriptArgs.push(pathsFile((i) => signed(queryReference(i))), 'json');
        break;
      }
      case 'paypage':
        if (!job.orderCount) throw new Error('paypage needs orderCount');
        headers = ['-H', `User-Agent: ${BROWSER_USER_AGENT}`];
        scriptArgs.push(pathsFile((i) => `/pay/${orderNonce(i)}`), 'html');
        break;
      case 'settle':
        throw new Error('settle needs a fixed request rate: autocannon, not wrk');
    }
  } catch (error) {
    cleanup();
    throw error;
  }
  const options = ['-t', String(threads), '-c', String(job.connections), '-d', `${job.durationSeconds}s`, '--timeout', '10s', ...headers];
  return { args: [...options, '-s', join(SCRIPTS, script), job.url, '--', ...scriptArgs], cleanup };
}

/** The figures from the JSON line that done() (bench/wrk/common.lua) printed last. */
export function wrkResult(stdout: string): LoadResult {
  const line = stdout.trim().split('\n').at(-1) ?? '';
  if (!line.startsWith('{')) throw new Error(`no figures from wrk:\n${stdout}`);
  const r = JSON.parse(line) as Record<string, number>;
  const ms = (us: number) => Math.round(us / 10) / 100;
  const seconds = r.durationUs / 1e6;
  return {
    requests: r.requests,
    // Counted after the start-up ramp; a run too short to have any: over the whole run.
    requestsPerSecond: r.steadyRps > 0 ? r.steadyRps : r.requests / seconds,
    latencyMs: { p50: ms(r.p50), p99: ms(r.p99), p99_9: ms(r.p99_9), max: ms(r.max) },
    // response() counts every status outside 2xx; wrk's own `status` only those > 399.
    non2xx: Math.max(r.non2xx, r.status),
    // Socket errors, timeouts included (as autocannon counts them).
    errors: r.connect + r.read + r.write + r.timeout,
    timeouts: r.timeout,
    badCodes: r.badCodes,
    durationSeconds: seconds,
  };
}
