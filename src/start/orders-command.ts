import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { orderIdLowerBound } from '../domain/ids.js';
import { ORDER_STATUSES } from '../domain/order-status.js';
import { formatAmount } from '../domain/money.js';
import { formatWireTime } from '../domain/time.js';
import { describeOrder, type OrderDescription } from '../gateway/describe-order.js';
import { findOrderByIdOrReference } from '../gateway/find-order.js';
import { listOrders } from '../store/orders.js';
import { CliError, parseSince, printResult, withCliStore } from './cli-runtime.js';

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
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON', false)
    .action(async (options: { status?: string; since?: string; user?: string; wallet?: string; limit: string; json: boolean }) => {
      if (options.status !== undefined && !(ORDER_STATUSES as readonly string[]).includes(options.status)) {
        throw new CliError(`--status must be one of ${ORDER_STATUSES.join(', ')}, got ${JSON.stringify(options.status)}`);
      }
      const limit = /^\d+$/.test(options.limit) ? Number(options.limit) : 0;
      if (limit < 1 || limit > 100_000) throw new CliError(`--limit must be a whole number from 1 to 100000, got ${JSON.stringify(options.limit)}`);
      const config = loadConfig();
      const offset = config.timeZoneOffsetMinutes;
      const fromOrderId = options.since === undefined ? undefined : orderIdLowerBound(parseSince(options.since, Date.now()), offset);
      const rows = await withCliStore(config, (store) =>
        listOrders(store.db, { fromOrderId, status: options.status, userId: options.user, walletId: options.wallet, limit }),
      );
      const listed = rows.map((o) => ({
        order_id: o.order_id,
        merchant_reference: o.merchant_reference,
        user_id: o.user_id,
        wallet_id: o.wallet_id,
        status: o.status,
        payment_method: o.payment_method,
        amount: formatAmount(Number(o.amount_minor)),
        currency: o.currency,
        created_at: formatWireTime(Number(o.created_at), offset),
      }));
      printResult(options.json, listed, (list) =>
        list.length === 0
          ? 'no orders\n'
          : list.map((o) => `${o.created_at}  ${o.order_id}  ${o.status.padEnd(8)} ${o.amount} ${o.currency} ${o.payment_method}  ${o.merchant_reference} (${o.user_id})\n`).join(''),
      );
    });
}

function showText(o: OrderDescription): string {
  const lines = [
    `order ${o.order_id} (${o.merchant_reference}) of ${o.user_id}, wallet ${o.wallet_id}`,
    `  ${o.status}: ${o.amount} ${o.currency}${o.amount_cny ? ` (${o.amount_cny} CNY at ${o.currency_rate})` : ''} by ${o.payment_method}, "${o.product_name}"`,
    `  created ${o.created_at}, ${o.paid_at ? `paid ${o.paid_at}` : `expires ${o.expires_at}`}; provider ${o.provider}${o.provider_trade_id ? ` trade ${o.provider_trade_id}` : ''}`,
  ];
  for (const r of o.refunds) lines.push(`  refund ${r.refund_id} (${r.kind}) ${r.amount}: ${r.status}${r.failure ? ` (${r.failure})` : ''} ${JSON.stringify(r.reference)} at ${r.created_at}`);
  for (const c of o.callbacks) {
    const last = c.last_attempt ? `, last ${c.last_attempt.at} ${c.last_attempt.http_status ?? c.last_attempt.error ?? ''}` : '';
    lines.push(`  callback ${c.id} to ${c.url}: ${c.status}, ${c.attempts} attempt(s)${last}`);
  }
  for (const e of o.ledger) lines.push(`  ledger ${e.kind} ${e.amount} at ${e.at}`);
  return lines.join('\n') + '\n';
}
