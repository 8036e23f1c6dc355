import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { findOrderByIdOrReference } from '../gateway/find-order.js';
import { resendCallbacks } from '../gateway/resend-callbacks.js';
import { listAbandonedNotifications, listAttempts, listNotificationsForOrder, type AbandonedNotification } from '../store/notifications.js';
import type { Db } from '../store/store.js';
import { cliActor, CliError, printResult, withCliStore } from './cli-runtime.js';

const resendHint = (orderId: string) => `re-send with \`latipay callbacks resend ${orderId}\``;

/**
 * `latipay callbacks show|resend|list`: what the gateway sent a merchant about an order,
 * attempt by attempt, a re-send on demand (spec §4.4 [ours]) — e.g. after a merchant fixed
 * their endpoint — and the callbacks given up on. A running delivery worker picks a
 * re-sent callback up within a second.
 */
export function addCallbacksCommands(program: Command): void {
  const callbacks = program.command('callbacks').description("an order's callbacks and their delivery attempts");

  callbacks
    .command('show')
    .description("an order's callbacks and every delivery attempt (time, HTTP status, body excerpt, duration, error)")
    .argument('<order_id_or_reference>', 'the order_id, or the merchant_reference')
    .option('--user <user_id>', 'whose merchant_reference (when several users have it)')
    .option('--json', 'print JSON', false)
    .action(async (idOrReference: string, options: { user?: string; json: boolean }) => {
      let orderId = idOrReference;
      const shown = await withCliStore(loadConfig(), async (store) => {
        orderId = (await findOrderByIdOrReference(store.db, idOrReference, options.user)).order_id;
        const notifications = await requireNotifications(store.db, orderId);
        return Promise.all(
          notifications.map(async (n) => ({
            id: Number(n.id),
            url: n.url,
            status: n.status,
            attempts: (await listAttempts(store.db, Number(n.id))).map((a) => ({
              at: new Date(Number(a.attempted_at)).toISOString(),
              http_status: a.http_status,
              body: a.body_excerpt,
              ms: a.duration_ms,
              error: a.error,
            })),
            given_up_after: n.status === 'abandoned' ? Number(n.attempts) : undefined,
          })),
        );
      });
      printResult(options.json, shown, (list) =>
        list
          .map((n) => {
            const status =
              n.given_up_after !== undefined
                ? `ABANDONED, given up after ${n.given_up_after} attempt(s); ${resendHint(orderId)}`
                : `${n.status}, ${n.attempts.length} attempt(s)`;
            const attempts = n.attempts.map((a) => `  ${a.at}  ${a.http_status ?? '---'}  ${a.ms} ms  ${a.error ?? JSON.stringify(a.body ?? '')}\n`).join('');
            return `callback ${n.id} to ${n.url}: ${status}\n${attempts}`;
          })
          .join(''),
      );
    });

  callbacks
    .command('resend')
    .description("deliver an order's callbacks again now (also a delivered or given-up one)")
    .argument('<order_id_or_reference>', 'the order_id, or the merchant_reference')
    .option('--user <user_id>', 'whose merchant_reference (when several users have it)')
    .action(async (idOrReference: string, options: { user?: string }) => {
      let orderId = idOrReference;
      const count = await withCliStore(loadConfig(), async (store) => {
        orderId = (await findOrderByIdOrReference(store.db, idOrReference, options.user)).order_id;
        const resent = await resendCallbacks(store.db, orderId, cliActor(), Date.now());
        if (resent === 0) throw new CliError(`no callback for order ${orderId}`);
        return resent;
      });
      process.stdout.write(`re-queued ${count} callback(s) for order ${orderId}\n`);
    });

  callbacks
    .command('list')
    .description('the callbacks given up on (NOTIFY_GIVE_UP_SECONDS), with their last attempt')
    .option('--abandoned', 'the callbacks given up on (the only list there is)', false)
    .option('--limit <n>', 'at most this many', '1000')
    .option('--json', 'print JSON', false)
    .action(async (options: { abandoned: boolean; limit: string; json: boolean }) => {
      if (!options.abandoned) throw new CliError('callbacks list: give --abandoned');
      const limit = /^\d+$/.test(options.limit) ? Number(options.limit) : 0;
      if (limit < 1) throw new CliError('callbacks list: --limit must be a whole number above 0');
      await listAbandoned(limit, options.json);
    });
}

async function requireNotifications(db: Db, orderId: string) {
  const notifications = await listNotificationsForOrder(db, orderId);
  if (notifications.length === 0) throw new CliError(`no callback for order ${orderId}`);
  return notifications;
}

/** `list --abandoned`: every callback given up on, with its last attempt. */
async function listAbandoned(limit: number, json: boolean): Promise<void> {
  const abandoned = await withCliStore(loadConfig(), (store) => listAbandonedNotifications(store.db, limit));
  const rows = abandoned.map((n) => ({ ...n, last_attempt_at: n.last_attempt_at === null ? null : new Date(n.last_attempt_at).toISOString() }));
  printResult(json, rows, (list) => {
    if (list.length === 0) return 'no abandoned callbacks\n';
    const lines = list.map((n) => `  ${n.order_id}  ${n.attempts} attempt(s), ${n.last_attempt_at === null ? 'never tried' : `last ${n.last_attempt_at}`}  ${n.url}  ${lastOutcome(n)}\n`);
    return `${list.length} abandoned callback(s)${list.length === limit ? ` (the first ${limit}; see --limit)` : ''}:\n${lines.join('')}${resendHint('ORDER_ID')}\n`;
  });
}

function lastOutcome(n: Pick<AbandonedNotification, 'last_error' | 'last_http_status' | 'last_body_excerpt'>): string {
  if (n.last_error !== null) return n.last_error;
  if (n.last_http_status !== null) return `HTTP ${n.last_http_status} ${JSON.stringify(n.last_body_excerpt ?? '')}`;
  return '';
}
