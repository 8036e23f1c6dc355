import { parseRate } from '../domain/fx.js';
import { isCurrency } from '../domain/money.js';
import { findRate, insertRateIfAbsent, upsertRate, type FxRateRecord } from '../store/fx-rates.js';
import type { Db } from '../store/store.js';
import type { GatewayContext } from './context.js';
import { cachePerDatabase } from './ttl-cache.js';

/** Rates the sandbox starts with when configuration gives none (FX_RATES). */
export const SANDBOX_RATES: Readonly<Record<string, string>> = {
  'NZD:CNY': '4.6449',
  'AUD:CNY': '4.7512',
  'USD:CNY': '7.1180',
  'EUR:CNY': '7.7645',
  'GBP:CNY': '9.0832',
  'HKD:CNY': '0.9137',
};

const rateCache = cachePerDatabase<string | null>(2_000);

/**
 * The current `base`→CNY rate as recorded on new orders (null when none is set), read at
 * most every 2 s so a change through the CLI reaches every instance quickly.
 */
export async function currentCnyRate(ctx: GatewayContext, base: string): Promise<string | null> {
  if (base === 'CNY') return '1';
  return rateCache(ctx.store.db).get(base, async () => (await findRate(ctx.store.db, base, 'CNY'))?.rate ?? null);
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

/** A rate the operator gave that cannot be stored (the CLI prints it and exits 1). */
export class RateInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RateInputError';
  }
}

/**
 * Sets the `base`→`quote` rate (`latipay rates set NZD CNY 4.6449`). New orders use it
 * within the 2 s cache of every instance; existing orders keep the rate they recorded.
 */
export async function setRate(db: Db, base: string, quote: string, rate: string, now: number): Promise<FxRateRecord> {
  const [from, to] = [base.trim().toUpperCase(), quote.trim().toUpperCase()];
  for (const code of [from, to]) {
    if (!isCurrency(code)) throw new RateInputError(`currency ${JSON.stringify(code)} must be an ISO 4217 code with two decimal places such as NZD or CNY`);
  }
  if (from === to) throw new RateInputError(`${from} converts to itself at 1; give two different currencies`);
  const parsed = parseRate(rate);
  if (!parsed.ok) throw new RateInputError(`rate ${JSON.stringify(rate)} ${parsed.reason}`);
  await upsertRate(db, from, to, parsed.text, now);
  const stored = await findRate(db, from, to);
  if (!stored) throw new Error(`the ${from}:${to} rate was not stored`);
  return stored;
}
