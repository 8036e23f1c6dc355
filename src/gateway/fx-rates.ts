import { parseRate } from '../domain/fx.js';
import { findRate, insertRateIfAbsent } from '../store/fx-rates.js';
import type { Db } from '../store/store.js';
import type { GatewayContext } from './context.js';

/** Rates the sandbox starts with when configuration gives none (FX_RATES). */
export const SANDBOX_RATES: Readonly<Record<string, string>> = {
  'NZD:CNY': '4.6449',
  'AUD:CNY': '4.7512',
  'USD:CNY': '7.1180',
  'EUR:CNY': '7.7645',
  'GBP:CNY': '9.0832',
  'HKD:CNY': '0.9137',
};

const TTL_MS = 2_000;
const cache = new WeakMap<Db, Map<string, { rate: string | null; until: number }>>();

/**
 * The current `base`→CNY rate as recorded on new orders (null when none is set), read at
 * most every 2 s so a change through the CLI reaches every instance quickly.
 */
export async function currentCnyRate(ctx: GatewayContext, base: string): Promise<string | null> {
  if (base === 'CNY') return '1';
  let byPair = cache.get(ctx.store.db);
  if (!byPair) cache.set(ctx.store.db, (byPair = new Map()));
  const now = Date.now();
  const hit = byPair.get(base);
  if (hit && hit.until > now) return hit.rate;
  const row = await findRate(ctx.store.db, base, 'CNY');
  const rate = row?.rate ?? null;
  byPair.set(base, { rate, until: now + TTL_MS });
  return rate;
}

/** Seeds rates from configuration (`NZD:CNY=4.6449,AUD:CNY=4.75`) for pairs that have none yet. */
export async function seedRates(db: Db, rates: Readonly<Record<string, string>>, now: number): Promise<void> {
  for (const [pair, rate] of Object.entries(rates)) {
    const [base, quote] = pair.split(':');
    const parsed = parseRate(rate);
    if (!base || !quote || !parsed.ok) throw new Error(`invalid FX rate ${pair}=${rate}`);
    await insertRateIfAbsent(db, base, quote, parsed.text, now);
  }
}
