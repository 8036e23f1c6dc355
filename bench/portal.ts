/**
 * The `portal` scenario of `npm run bench` (bench/run.ts calls the two functions below):
 * the merchant portal's transaction list and CSV export on an organisation with a million
 * orders (bench/portal-seed.ts: a year of mixed statuses, methods, wallets and amounts).
 *
 * - preparePortalBench, before the gateway starts: the organisation (`merchant create`),
 *   its orders, and a portal user (`portal-user create`, a viewer: reading and exporting
 *   are everyone's).
 * - portalScenario, against the running gateway: the user sets a password through the
 *   one-time link and signs in, as a browser would; then
 *   1. filtered list pages, signed in, over 16 connections for the bench's duration: eight
 *      filters in turn (none; a status; a status and a method; a filter no order matches,
 *      which reads a whole scan window; a wallet and an amount range; a month two months
 *      back; a search; a page half a year deep), after a warm-up: requests/s and latency;
 *   2. the CSV export of the whole organisation (every order), read as fast as the client
 *      can: rows/s, and the gateway's RSS before and at its peak during the export.
 */
import { encodeCursor } from '../src/domain/transaction-filter.js';
import type { LoadJob, LoadResult } from './load.js';
import { secondWalletOf, seedPortalOrders, type PortalSeedMerchant } from './portal-seed.js';

export interface PortalBenchSetup {
  merchant: PortalSeedMerchant;
  orders: number;
  email: string;
  setPasswordUrl: string;
  seededAt: number;
}

type Cli = (...args: string[]) => Promise<{ stdout: string }>;

export async function preparePortalBench(cli: Cli, databaseUrl: string, orders: number): Promise<PortalBenchSetup> {
  const { stdout } = await cli('merchant', 'create', '--name', 'Portal Bench Shop', '--currency', 'NZD', '--methods', 'alipay,wechat', '--json');
  const merchant = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as PortalSeedMerchant;
  const seededAt = Date.now();
  await seedPortalOrders(databaseUrl, merchant, orders, seededAt);
  const email = 'bench-viewer@portal.example';
  const user = await cli('portal-user', 'create', '--organisation', String(merchant.organisation_id), '--email', email, '--role', 'viewer', '--json');
  const { set_password_url: setPasswordUrl } = JSON.parse(user.stdout.trim().split('\n').at(-1) ?? '{}') as { set_password_url: string };
  return { merchant, orders, email, setPasswordUrl, seededAt };
}

export interface PortalExportFigures {
  rows: number;
  rowsPerSecond: number;
  seconds: number;
  /** The gateway's RSS as the export began (its peak during it is the row's peakRssMiB). */
  rssBeforeMiB: number;
}

export interface PortalRow {
  db: string;
  scenario: string;
  requestsPerSecond?: number;
  latencyMs?: LoadResult['latencyMs'];
  errors?: number;
  peakRssMiB?: number;
  note?: string;
  portalExport?: PortalExportFigures;
}

export async function portalScenario(o: {
  db: string;
  baseUrl: string;
  /** The gateway's RSS sampler (run.ts's): the peak since the last call, in MiB, and a new window. */
  rss: { takePeakMiB(): number };
  setup: PortalBenchSetup;
  durationSeconds: number;
  warmupSeconds: number;
  offsetMinutes?: number;
  runLoad: (job: LoadJob) => Promise<LoadResult>;
}): Promise<PortalRow[]> {
  const { baseUrl, setup } = o;
  const password = 'bench-portal-password-1';
  // The CLI printed the link with its own PUBLIC_URL: the path, on the gateway under test.
  await setPassword(baseUrl + new URL(setup.setPasswordUrl).pathname, password);
  const cookie = await signIn(baseUrl, setup.email, password);
  const headers = { cookie };

  const offset = (o.offsetMinutes ?? 8 * 60) * 60_000;
  const day = (ms: number) => new Date(ms + offset).toISOString().slice(0, 10);
  const DAY = 86_400_000;
  const t = setup.seededAt;
  const paths = [
    '/portal/transactions',
    '/portal/transactions?status=paid',
    '/portal/transactions?status=paid&method=wechat',
    // Order i is payid when i mod 10 = 9 and canceled when i mod 20 = 16: never both.
    '/portal/transactions?status=canceled&method=payid',
    `/portal/transactions?wallet=${secondWalletOf(setup.merchant)}&min=100&max=500`,
    `/portal/transactions?status=paid&from=${day(t - 90 * DAY)}&to=${day(t - 60 * DAY)}`,
    `/portal/transactions?q=bp-${Math.floor(setup.orders / 3)}`,
    `/portal/transactions?status=canceled&cursor=${encodeCursor({ createdAt: t - 182 * DAY, orderId: '97' })}`,
  ];
  for (const path of paths) {
    const response = await fetch(baseUrl + path, { headers });
    if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
    await response.arrayBuffer();
  }
  const job = (durationSeconds: number): LoadJob => ({ scenario: 'pages', url: baseUrl, connections: 16, durationSeconds, paths, headers });
  await o.runLoad(job(o.warmupSeconds));
  const rss = o.rss;
  rss.takePeakMiB();
  const pages = await o.runLoad(job(o.durationSeconds));
  const pagesRss = rss.takePeakMiB();
  console.log(`[${o.db}] portal list pages: ${Math.round(pages.requestsPerSecond)} req/s, p50 ${pages.latencyMs.p50} ms, p99 ${pages.latencyMs.p99} ms, ${pages.non2xx + pages.errors} errors, peak RSS ${pagesRss} MiB`);
  const rows: PortalRow[] = [
    {
      db: o.db,
      scenario: 'portal: filtered list page',
      requestsPerSecond: Math.round(pages.requestsPerSecond),
      latencyMs: pages.latencyMs,
      errors: pages.non2xx + pages.errors,
      peakRssMiB: pagesRss,
      note: `${setup.orders.toLocaleString('en-US')} orders of one organisation; ${paths.length} filters in turn, 16 connections, signed in`,
    },
  ];

  // The export: the whole organisation, newest first.
  // Taken right after the pages' peak: the RSS now, and a new window for the export's.
  const rssBefore = rss.takePeakMiB();
  const began = process.hrtime.bigint();
  const response = await fetch(`${baseUrl}/portal/transactions.csv`, { headers });
  if (response.status !== 200 || !response.body) throw new Error(`export: ${response.status}`);
  let lines = 0;
  let bytes = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.length;
    for (let i = 0; i < chunk.length; i++) if (chunk[i] === 10) lines++;
  }
  const seconds = Number(process.hrtime.bigint() - began) / 1e9;
  const exported = lines - 1;
  const peak = rss.takePeakMiB();
  if (exported !== setup.orders) throw new Error(`the export held ${exported} rows, not ${setup.orders}`);
  console.log(`[${o.db}] portal CSV export: ${exported} rows in ${seconds.toFixed(1)} s (${Math.round(exported / seconds)} rows/s), gateway RSS ${rssBefore} MiB before, peak ${peak} MiB`);
  rows.push({
    db: o.db,
    scenario: 'portal: CSV export, whole organisation',
    portalExport: { rows: exported, rowsPerSecond: Math.round(exported / seconds), seconds: Math.round(seconds * 10) / 10, rssBeforeMiB: rssBefore },
    peakRssMiB: peak,
    note: `${exported.toLocaleString('en-US')} rows (${(bytes / 2 ** 20).toFixed(0)} MiB) in ${seconds.toFixed(1)} s: ${Math.round(exported / seconds).toLocaleString('en-US')} rows/s; gateway RSS ${rssBefore} MiB before, ${peak} MiB at most during it`,
  });
  return rows;
}

/** Sets a portal user's password through its one-time link, as the set-password page's form does. */
async function setPassword(link: string, password: string): Promise<void> {
  const form = await fetch(link);
  const pre = cookieOf(form, 'portal_pre');
  const csrf = csrfOf(await form.text());
  const answer = await fetch(link, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `portal_pre=${pre}` },
    body: new URLSearchParams({ _csrf: csrf, password, confirm: password }),
  });
  if (answer.status !== 303) throw new Error(`set-password: ${answer.status}`);
}

/** Signs in through the login form; answers the session cookie. */
async function signIn(baseUrl: string, email: string, password: string): Promise<string> {
  const form = await fetch(`${baseUrl}/portal/login`);
  const pre = cookieOf(form, 'portal_pre');
  const csrf = csrfOf(await form.text());
  const answer = await fetch(`${baseUrl}/portal/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `portal_pre=${pre}` },
    body: new URLSearchParams({ _csrf: csrf, email, password }),
  });
  const session = cookieOf(answer, 'portal_session');
  if (answer.status !== 303 || !session) throw new Error(`sign-in: ${answer.status}`);
  return `portal_session=${session}`;
}

function cookieOf(response: Response, name: string): string {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    if (pair?.startsWith(`${name}=`)) return pair.slice(name.length + 1);
  }
  return '';
}

function csrfOf(body: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(body);
  if (!match?.[1]) throw new Error('no _csrf field on the page');
  return match[1];
}
