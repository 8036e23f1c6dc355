/**
 * The load generator, run as its own process by bench/run.ts so that it never shares an
 * event loop with the gateway or the bench's merchant server. Reads one job (JSON) from
 * argv[2], drives it with autocannon, prints one JSON line with the figures. (When wrk is
 * on PATH, run.ts drives every scenario but settle with wrk instead: bench/wrk.ts.)
 */
import { createHash, createHmac } from 'node:crypto';
import autocannon from 'autocannon';

export interface LoadJob {
  scenario: 'baseline' | 'create' | 'query' | 'settle' | 'paypage' | 'pages';
  url: string;
  connections: number;
  durationSeconds: number;
  /** Requests/s over all connections (autocannon's overallRate); unset: as fast as possible. */
  rate?: number;
  merchant?: { user_id: string; wallet_id: string; api_key: string };
  callbackUrl?: string;
  /** query/paypage: orders 0..count-1 exist (see bench/seed-orders.ts). */
  orderCount?: number;
  /** settle: settle orders first..first+count-1, in order. */
  settleFirst?: number;
  settleCount?: number;
  /** pages: GET these paths in turn (bench/portal.ts), with these headers (a session cookie). */
  paths?: string[];
  headers?: Record<string, string>;
}

export interface LoadResult {
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p99: number; p99_9: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
  /** 2xx answers whose JSON `code` is not 0. */
  badCodes: number;
  durationSeconds: number;
}

// Same naming as bench/seed-orders.ts.
export const queryReference = (i: number) => `bq-${i}`;
export const orderNonce = (i: number) => createHash('sha256').update(`bench-nonce-${i}`).digest('hex');
export const settleOrderId = (i: number) => `99${String(i).padStart(20, '0')}`;

function hmac(key: string, message: string): string {
  return createHmac('sha256', key).update(message, 'utf8').digest('hex');
}

/** Spec §2.1: what is signed, sorted `k=v` joined by `&`, api key appended. */
export function sortedMessage(fields: Record<string, string>, apiKey: string): string {
  const joined = Object.keys(fields)
    .filter((k) => k !== 'signature' && fields[k] !== '')
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('&');
  return joined + apiKey;
}

/** Spec §2.1: HMAC-SHA256 of sortedMessage() with the api key. */
export function sortedSignature(fields: Record<string, string>, apiKey: string): string {
  return hmac(apiKey, sortedMessage(fields, apiKey));
}

/** The create scenario's order (every field a string, as the signatures want them). */
export function createFields(m: { user_id: string; wallet_id: string }, callbackUrl: string | undefined, reference: string): Record<string, string> {
  return {
    user_id: m.user_id,
    wallet_id: m.wallet_id,
    amount: '120.00',
    payment_method: 'alipay',
    return_url: 'https://merchant.example/return',
    callback_url: callbackUrl ?? 'https://merchant.example/callback',
    merchant_reference: reference,
    ip: '122.122.122.1',
    version: '2.0',
    product_name: 'Pinot Noir, Otago',
  };
}

/** The paypage scenario's user agent: a desktop browser. */
export const BROWSER_USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36';

async function run(job: LoadJob): Promise<LoadResult> {
  let badCodes = 0;
  const codeOf = (body: string | undefined) => /"code":(-?\d+)/.exec(body ?? '')?.[1];
  const checkCode = (status: number, body: string) => {
    if (status >= 200 && status < 300 && codeOf(body) !== '0') badCodes++;
  };
  const runId = `${process.pid}-${Date.now().toString(36)}`;
  const random = (n: number) => Math.floor(Math.random() * n);
  const m = job.merchant;

  let requests: autocannon.Request[];
  switch (job.scenario) {
    case 'baseline':
      requests = [{ method: 'GET', path: '/', onResponse: checkCode }];
      break;
    case 'create': {
      if (!m) throw new Error('create needs a merchant');
      let counter = 0;
      requests = [
        {
          method: 'POST',
          path: '/v2/transaction',
          headers: { 'content-type': 'application/json' },
          setupRequest: (req) => {
            const fields = createFields(m, job.callbackUrl, `bc-${runId}-${counter++}`);
            return { ...req, body: JSON.stringify({ ...fields, signature: sortedSignature(fields, m.api_key) }) };
          },
          onResponse: checkCode,
        },
      ];
      break;
    }
    case 'query': {
      if (!m || !job.orderCount) throw new Error('query needs a merchant and orderCount');
      const count = job.orderCount;
      requests = [
        {
          method: 'GET',
          setupRequest: (req) => {
            const reference = queryReference(random(count));
            const signature = sortedSignature({ merchant_reference: reference, user_id: m.user_id }, m.api_key);
            return { ...req, path: `/v2/transaction/${reference}?user_id=${m.user_id}&signature=${signature}` };
          },
          onResponse: checkCode,
        },
      ];
      break;
    }
    case 'settle': {
      const first = job.settleFirst ?? 0;
      const end = first + (job.settleCount ?? 0);
      let next = first;
      requests = [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"outcome":"paid"}',
          setupRequest: (req) => {
            // Past the prepared orders the request is a 404 and counts as an error: size settleCount generously.
            const i = next < end ? next++ : end;
            return { ...req, path: `/sandbox/orders/${settleOrderId(i)}` };
          },
          onResponse: checkCode,
        },
      ];
      break;
    }
    case 'paypage': {
      if (!job.orderCount) throw new Error('paypage needs orderCount');
      const count = job.orderCount;
      requests = [
        {
          method: 'GET',
          headers: { 'user-agent': BROWSER_USER_AGENT },
          setupRequest: (req) => ({ ...req, path: `/pay/${orderNonce(random(count))}` }),
        },
      ];
      break;
    }
    case 'pages': {
      // A 2xx HTML page: no JSON code to check.
      const paths = job.paths ?? [];
      if (paths.length === 0) throw new Error('pages needs paths');
      let next = 0;
      requests = [{ method: 'GET', headers: job.headers, setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] as string }) }];
      break;
    }
  }

  const options: autocannon.Options = {
    url: job.url,
    connections: job.connections,
    duration: job.durationSeconds,
    requests,
    timeout: 10,
  };
  if (job.rate) options.overallRate = job.rate;
  const result = await autocannon(options);
  return {
    requests: result.requests.total,
    requestsPerSecond: result.requests.total / result.duration,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99, p99_9: result.latency.p99_9, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    badCodes,
    durationSeconds: result.duration,
  };
}

// Only when run as the load-generator process, not when run.ts imports the helpers above.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  const job = JSON.parse(process.argv[2] ?? '{}') as LoadJob;
  run(job).then(
    (result) => {
      process.stdout.write(JSON.stringify(result) + '\n');
      process.exit(0);
    },
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
