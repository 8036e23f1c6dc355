import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { listAbandonedNotifications, listAttempts, listNotificationsForOrder, resendNotification, type AbandonedNotification } from '../store/notifications.js';
import { openStore } from '../store/store.js';

const USAGE = `Usage:
  latipay callbacks show ORDER_ID [--json]     an order's callbacks and every delivery attempt
  latipay callbacks resend ORDER_ID            deliver the order's callbacks again now
  latipay callbacks list --abandoned [--json] [--limit N]
                                               the callbacks given up on (NOTIFY_GIVE_UP_SECONDS)
`;

const resendHint = (orderId: string) => `re-send with \`latipay callbacks resend ${orderId}\``;

/**
 * `latipay callbacks show|resend|list`: what the gateway sent a merchant about an order,
 * attempt by attempt, a re-send on demand (spec §4.4 [ours]) — e.g. after a merchant fixed
 * their endpoint — and the callbacks given up on. A running delivery worker picks a
 * re-sent callback up within a second.
 */
export async function callbacksCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'show' && sub !== 'resend' && sub !== 'list') {
    process.stderr.write(`unknown callbacks command ${JSON.stringify(sub ?? '')}\n\n${USAGE}`);
    return 1;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { json: { type: 'boolean', default: false }, abandoned: { type: 'boolean', default: false }, limit: { type: 'string' } },
    });
  } catch (error) {
    process.stderr.write(`latipay callbacks ${sub}: ${(error as Error).message}\n\n${USAGE}`);
    return 1;
  }
  const { values, positionals } = parsed;
  if (sub === 'list') {
    if (!values.abandoned || positionals.length > 0) {
      process.stderr.write(`latipay callbacks list: give --abandoned\n\n${USAGE}`);
      return 1;
    }
    const limit = values.limit === undefined ? 1_000 : Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) {
      process.stderr.write(`latipay callbacks list: --limit must be a whole number above 0\n`);
      return 1;
    }
    return listAbandoned(limit, values.json);
  }
  if (positionals.length !== 1) {
    process.stderr.write(`latipay callbacks ${sub}: give one ORDER_ID\n\n${USAGE}`);
    return 1;
  }
  const orderId = positionals[0] as string;
  const config = loadConfig();
  const store = await openStore(config.databaseUrl);
  try {
    const notifications = await listNotificationsForOrder(store.db, orderId);
    if (notifications.length === 0) {
      process.stderr.write(`latipay callbacks: no callback for order ${orderId}\n`);
      return 1;
    }
    if (sub === 'resend') {
      for (const n of notifications) await resendNotification(store.db, Number(n.id), Date.now());
      process.stdout.write(`re-queued ${notifications.length} callback(s) for order ${orderId}\n`);
      return 0;
    }
    const shown = [];
    for (const n of notifications) {
      const attempts = await listAttempts(store.db, Number(n.id));
      shown.push({
        id: Number(n.id),
        url: n.url,
        status: n.status,
        attempts: attempts.map((a) => ({
          at: new Date(Number(a.attempted_at)).toISOString(),
          http_status: a.http_status,
          body: a.body_excerpt,
          ms: a.duration_ms,
          error: a.error,
        })),
        given_up_after: n.status === 'abandoned' ? Number(n.attempts) : undefined,
      });
    }
    if (values.json) process.stdout.write(JSON.stringify(shown) + '\n');
    else {
      for (const n of shown) {
        const status =
          n.given_up_after !== undefined
            ? `ABANDONED, given up after ${n.given_up_after} attempt(s); ${resendHint(orderId)}`
            : `${n.status}, ${n.attempts.length} attempt(s)`;
        process.stdout.write(`callback ${n.id} to ${n.url}: ${status}\n`);
        for (const a of n.attempts) {
          process.stdout.write(`  ${a.at}  ${a.http_status ?? '---'}  ${a.ms} ms  ${a.error ?? JSON.stringify(a.body ?? '')}\n`);
        }
      }
    }
    return 0;
  } finally {
    await store.close();
  }
}

/** `list --abandoned`: every callback given up on, with its last attempt. */
async function listAbandoned(limit: number, json: boolean): Promise<number> {
  const config = loadConfig();
  const store = await openStore(config.databaseUrl);
  try {
    const abandoned = await listAbandonedNotifications(store.db, limit);
    if (json) {
      const rows = abandoned.map((n) => ({ ...n, last_attempt_at: n.last_attempt_at === null ? null : new Date(n.last_attempt_at).toISOString() }));
      process.stdout.write(JSON.stringify(rows) + '\n');
      return 0;
    }
    if (abandoned.length === 0) {
      process.stdout.write('no abandoned callbacks\n');
      return 0;
    }
    process.stdout.write(`${abandoned.length} abandoned callback(s)${abandoned.length === limit ? ` (the first ${limit}; see --limit)` : ''}:\n`);
    for (const n of abandoned) {
      const at = n.last_attempt_at === null ? 'never tried' : `last ${new Date(n.last_attempt_at).toISOString()}`;
      process.stdout.write(`  ${n.order_id}  ${n.attempts} attempt(s), ${at}  ${n.url}  ${lastOutcome(n)}\n`);
    }
    process.stdout.write(`${resendHint('ORDER_ID')}\n`);
    return 0;
  } finally {
    await store.close();
  }
}

function lastOutcome(n: AbandonedNotification): string {
  if (n.last_error !== null) return n.last_error;
  if (n.last_http_status !== null) return `HTTP ${n.last_http_status} ${JSON.stringify(n.last_body_excerpt ?? '')}`;
  return '';
}
