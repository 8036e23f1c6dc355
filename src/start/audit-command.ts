import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { listAuditEvents } from '../store/audit-events.js';
import { CliError, parseSince, printResult, withCliStore } from './cli-runtime.js';

/** `latipay audit list`: who did what, when, from where (never a secret). */
export function addAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the audit log of operator and merchant actions');
  audit
    .command('list')
    .description('events since a time (default: the last 7 days), oldest first')
    .option('--since <time>', 'a date, an ISO time, or an age such as 24h or 7d', '7d')
    .option('--target <id>', 'only events about this user_id, order_id, …')
    .option('--limit <n>', 'at most this many events', '1000')
    .option('--json', 'print JSON', false)
    .action(async (options: { since: string; target?: string; limit: string; json: boolean }) => {
      const limit = /^\d+$/.test(options.limit) ? Number(options.limit) : NaN;
      if (!(limit >= 1 && limit <= 100_000)) throw new CliError(`--limit must be a whole number from 1 to 100000, got ${JSON.stringify(options.limit)}`);
      const since = parseSince(options.since, Date.now());
      const events = await withCliStore(loadConfig(), (store) => listAuditEvents(store.db, { since, limit, target: options.target }));
      const shown = events.map((e) => ({
        at: new Date(Number(e.at)).toISOString(),
        actor: e.actor,
        source: e.source,
        action: e.action,
        target: e.target,
        details: JSON.parse(e.details) as Record<string, unknown>,
      }));
      printResult(options.json, shown, (list) =>
        list.length === 0 ? 'no events\n' : list.map((e) => `${e.at}  ${e.actor} (${e.source})  ${e.action} ${e.target} ${JSON.stringify(e.details)}\n`).join(''),
      );
    });
}
