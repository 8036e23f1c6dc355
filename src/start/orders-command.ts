import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { orderIdLowerBound } from '../domain/ids.js';
import { ORDER_STATUSES } from '../domain/order-status.js';
import { formatAmount } from '../domain/money.js';
import { formatWireTime } from '../domain/time.js';
import { describeOrder, type OrderDescription } from '../gateway/describe-order.js';
import { findOrderByIdOrReference } from '../gateway/find-order.js';
import { listOrders } from '../store/orders.js';
import { cliActor, CliError, parseSince, printResult, withCliContext, withCliStore } from './cli-runtime.js';
import { settleFlaggedOrder } from '../gateway/settle-flagged-order.js';

/** `latipay orders show|list`: an order's whole story, and the newest orders. */
export function addOrdersCommands(program: Command): void {
  const orders = program.command('orders').description('look orders up: their status, refunds, callbacks and ledger');

  orders
    .command('show')
    .description('one order, by order_id or merchant_reference: fields, refunds, callbacks, ledger')
    .argument('<order_id_or_reference>')
    .option('--user <user_id>', 'whose merchant_reference (when several users have it)')
    .option('--json', 'print JSON', false)
    .action(async (idOrReference: string, options: { user?: string; json: boolean }) => {
      const config = loadConfig();
      const described = await withCliStore(config, async (store) =>
        describeOrder(store.db, await findOrderByIdOrReference(store.db, idOrReference, options.user), config.timeZoneOffsetMinutes),
      );
      printResult(options.json, described, showText);
    });

  orders
    .command('list')
    .description('the newest orders, newest first')
    .option('--status <status>', `only this status (${ORDER_STATUSES.join(', ')})`)
    .option('--since <time>', 'created since: a date, an ISO time, or an age such as 24h or 7d')
    .option('--user <user_id>', "only this user's orders")
    .option('--wallet <wallet_id>', "only this wallet's orders")
    .option('--flagged', 'only pending orders flagged for review (a payment that did not match them)', false)
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON', false)
    .action(async (options: { status?: string; since?: string; user?: string; wallet?: string; flagged: boolean; limit: string; json: boolean }) => {
      if (options.status !== undefined && !(ORDER_STATUSES as readonly string[]).includes(options.status)) {
        throw new CliError(`--status must be one of ${ORDER_STATUSES.join(', ')}, got ${JSON.stringify(options.status)}`);
      }
      const limit = /^\d+$/.test(options.limit) ? Number(options.limit) : 0;
      if (limit < 1 || limit > 100_000) throw new CliError(`--limit must be a whole number from 1 to 100000, got ${JSON.stringify(options.limit)}`);
      const config = loadConfig();
      const offset = config.timeZoneOffsetMinutes;
      const createdSince = options.since === undefined ? undefined : parseSince(options.since, Date.now());
      const fromOrderId = createdSince === undefined ? undefined : orderIdLowerBound(createdSince, offset);
      const rows = await withCliStore(config, (store) =>
        listOrders(store.db, { fromOrderId, createdSince, status: options.status, userId: options.user, walletId: options.wallet, flagged: options.flagged, limit }),
      );
      const listed = rows.map((o) => ({
        order_id: o.order_id,
        merchant_reference: o.merchant_reference,
        user_id: o.user_id,
        wallet_id: o.wallet_id,
        status: o.status,
        review_reason: o.review_reason,
        payment_method: o.payment_method,
        amount: formatAmount(Number(o.amount_minor)),
        currency: o.currency,
        created_at: formatWireTime(Number(o.created_at), offset),
      }));
      printResult(options.json, listed, (list) =>
        list.length === 0
          ? 'no orders\n'
          : list
              .map((o) => `${o.created_at}  ${o.order_id}  ${o.status.padEnd(8)} ${o.amount} ${o.currency} ${o.payment_method}  ${o.merchant_reference} (${o.user_id})${o.review_reason ? `  FLAGGED: ${o.review_reason}` : ''}\n`)
              .join(''),
      );
    });

  orders
    .command('settle')
    .description('end an order flagged for review, after checking with the provider what happened')
    .argument('<order_id>')
    .option('--paid', "the order's amount did arrive: paid, credited, its callback sent", false)
    .option('--failed', 'it did not: failed, its callback sent', false)
    .requiredOption('--reason <text>', 'what the provider shows (kept in the audit log)')
    .action(async (orderId: string, options: { paid: boolean; failed: boolean; reason: string }) => {
      if (options.paid === options.failed) throw new CliError('give --paid or --failed');
      const status = options.paid ? 'paid' : 'failed';
      await withCliContext(loadConfig(), (ctx) => settleFlaggedOrder(ctx, orderId, status, options.reason, cliActor()));
      process.stdout.write(`order ${orderId} ${status}; its callback is queued\n`);
    });
}

function showText(o: OrderDescription): string {
  const lines = [
    `order ${o.order_id} (${o.merchant_reference}) of ${o.user_id}, wallet ${o.wallet_id}`,
    `  ${o.status}: ${o.amount} ${o.currency}${o.amount_cny ? ` (${o.amount_cny} CNY at ${o.currency_rate})` : ''} by ${o.payment_method}, "${o.product_name}"`,
    `  created ${o.created_at}, ${o.paid_at ? `paid ${o.paid_at}` : `expires ${o.expires_at}`}; provider ${o.provider}`,
  ];
  if (o.review_reason) {
    lines.push(`  FLAGGED for review: ${o.review_reason}${o.status === 'pending' ? ` (latipay orders settle ${o.order_id} --paid|--failed --reason …)` : ''}`);
  }
  for (const a of o.attempts) {
    const payer = a.payer_amount ? `, payer ${a.payer_amount} ${a.payer_currency}${a.payer_rate ? ` at ${a.payer_rate}` : ''}` : '';
    lines.push(`  attempt ${a.attempt_id} ${a.provider} ${a.flow}: ${a.status}${a.provider_payment_id ? ` (${a.provider_payment_id})` : ''}${payer}`);
  }
  for (const r of o.refunds) lines.push(`  refund ${r.refund_id} (${r.kind}) ${r.amount}: ${r.status}${r.failure ? ` (${r.failure})` : ''} ${JSON.stringify(r.reference)} at ${r.created_at}`);
  for (const c of o.callbacks) {
    const last = c.last_attempt ? `, last ${c.last_attempt.at} ${c.last_attempt.http_status ?? c.last_attempt.error ?? ''}` : '';
    lines.push(`  callback ${c.id} to ${c.url}: ${c.status}, ${c.attempts} attempt(s)${last}`);
  }
  for (const e of o.ledger) lines.push(`  ledger ${e.kind} ${e.amount} at ${e.at}`);
  return lines.join('\n') + '\n';
}
