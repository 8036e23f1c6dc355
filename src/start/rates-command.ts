import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { formatWireTime } from '../domain/time.js';
import { recordAudit } from '../gateway/audit.js';
import { setRate } from '../gateway/fx-rates.js';
import { listRates, type FxRateRecord } from '../store/fx-rates.js';
import { cliActor, printResult, withCliStore } from './cli-runtime.js';

/**
 * `latipay rates set|list`: the FX rate table, changeable while gateways run (they read it
 * through a 2 s cache). Prints what is stored, so the operator sees the normalised rate.
 */
export function addRatesCommands(program: Command): void {
  const rates = program.command('rates').description('the FX rates orders record (amount_cny, currency_rate)');

  rates
    .command('set')
    .description('set a rate, e.g. latipay rates set NZD CNY 4.6449 (new orders use it within 2 s; existing orders keep theirs)')
    .argument('<base>')
    .argument('<quote>')
    .argument('<rate>')
    .option('--json', 'print JSON', false)
    .action(async (base: string, quote: string, rate: string, options: { json: boolean }) => {
      const config = loadConfig();
      const row = await withCliStore(config, (store) =>
        store.db.transaction().execute(async (trx) => {
          const now = Date.now();
          const stored = await setRate(trx, base, quote, rate, now);
          await recordAudit(trx, cliActor(), 'rates.set', `${stored.base}:${stored.quote}`, { rate: stored.rate }, now);
          return stored;
        }),
      );
      const [shown] = show([row], config.timeZoneOffsetMinutes);
      printResult(options.json, shown, (r) => `${r.base}:${r.quote} ${r.rate} (updated ${r.updated_at})\n`);
    });

  rates
    .command('list')
    .description('print the stored rates')
    .argument('[base]', 'only rates from this currency')
    .option('--json', 'print JSON', false)
    .action(async (base: string | undefined, options: { json: boolean }) => {
      const config = loadConfig();
      const rows = await withCliStore(config, (store) => listRates(store.db, base?.toUpperCase()));
      printResult(options.json, show(rows, config.timeZoneOffsetMinutes), (list) =>
        list.length === 0 ? 'no rates stored\n' : list.map((r) => `${r.base}:${r.quote} ${r.rate} (updated ${r.updated_at})\n`).join(''),
      );
    });
}

function show(rows: FxRateRecord[], offsetMinutes: number) {
  return rows.map((row) => ({
    base: row.base,
    quote: row.quote,
    rate: row.rate,
    updated_at: formatWireTime(Number(row.updated_at), offsetMinutes),
  }));
}
