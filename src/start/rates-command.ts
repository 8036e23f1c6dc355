import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { formatWireTime } from '../domain/time.js';
import { RateInputError, setRate } from '../gateway/fx-rates.js';
import { listRates, type FxRateRecord } from '../store/fx-rates.js';
import { openStore } from '../store/store.js';

const USAGE = `Usage:
  latipay rates set BASE QUOTE RATE [--json]   set a rate, e.g. latipay rates set NZD CNY 4.6449
  latipay rates list [BASE] [--json]           print the stored rates
`;

/**
 * `latipay rates set|list`: the FX rate table, changeable while gateways run (they read it
 * through a 2 s cache). Prints what is stored, so the operator sees the normalised rate.
 */
export async function ratesCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'set' && sub !== 'list') {
    process.stderr.write(`unknown rates command ${JSON.stringify(sub ?? '')}\n\n${USAGE}`);
    return 1;
  }
  const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
  const expected = sub === 'set' ? [3, 3] : [0, 1];
  if (positionals.length < expected[0] || positionals.length > expected[1]) {
    process.stderr.write(`latipay rates ${sub}: wrong number of arguments\n\n${USAGE}`);
    return 1;
  }
  const config = loadConfig();
  const store = await openStore(config.databaseUrl);
  try {
    let rows: FxRateRecord[];
    if (sub === 'set') {
      const [base, quote, rate] = positionals as [string, string, string];
      rows = [await setRate(store.db, base, quote, rate, Date.now())];
    } else {
      rows = await listRates(store.db, positionals[0]?.toUpperCase());
    }
    const shown = rows.map((row) => ({
      base: row.base,
      quote: row.quote,
      rate: row.rate,
      updated_at: formatWireTime(Number(row.updated_at), config.timeZoneOffsetMinutes),
    }));
    if (values.json) process.stdout.write(JSON.stringify(sub === 'set' ? shown[0] : shown) + '\n');
    else if (shown.length === 0) process.stdout.write('no rates stored\n');
    else for (const r of shown) process.stdout.write(`${r.base}:${r.quote} ${r.rate} (updated ${r.updated_at})\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof RateInputError)) throw error;
    process.stderr.write(`latipay: ${error.message}\n`);
    return 1;
  } finally {
    await store.close();
  }
}
