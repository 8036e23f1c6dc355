import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { listAttempts, listNotificationsForOrder, resendNotification } from '../store/notifications.js';
import { openStore } from '../store/store.js';

const USAGE = `Usage:
  latipay callbacks show ORDER_ID [--json]     an order's callbacks and every delivery attempt
  latipay callbacks resend ORDER_ID            deliver the order's callbacks again now
`;

/**
 * `latipay callbacks show|resend`: what the gateway sent a merchant about an order, attempt
 * by attempt, and a re-send on demand (spec §4.4 [ours]) — e.g. after a merchant fixed their
 * endpoint. A running delivery worker picks a re-sent callback up within a second.
 */
export async function callbacksCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'show' && sub !== 'resend') {
    process.stderr.write(`unknown callbacks command ${JSON.stringify(sub ?? '')}\n\n${USAGE}`);
    return 1;
  }
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
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
      });
    }
    if (values.json) process.stdout.write(JSON.stringify(shown) + '\n');
    else {
      for (const n of shown) {
        process.stdout.write(`callback ${n.id} to ${n.url}: ${n.status}, ${n.attempts.length} attempt(s)\n`);
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
