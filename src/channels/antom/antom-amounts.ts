import { parseRate } from '../../domain/fx.js';

/**
 * Antom's Amount `{currency, value}`: `value` is a string of the currency's smallest unit by
 * ISO 4217 (JPY 1 → "1", USD 1.00 → "100", KWD 1.000 → "1000"). The gateway keeps every
 * amount in hundredths (src/domain/money.ts), so the two meet here and nowhere else, in
 * integer arithmetic. Money is never a float.
 */

export interface AntomAmount {
  readonly currency: string;
  readonly value: string;
}

const ZERO_DECIMALS = new Set(['JPY', 'KRW', 'VND', 'CLP', 'ISK', 'UGX', 'XAF', 'XOF', 'PYG', 'KMF', 'GNF', 'RWF', 'VUV', 'XPF', 'BIF', 'DJF']);
const THREE_DECIMALS = new Set(['BHD', 'KWD', 'OMR', 'JOD', 'TND', 'IQD', 'LYD']);
const CURRENCY = /^[A-Z]{3}$/;
const DIGITS = /^\d{1,15}$/;

/** The ISO 4217 exponent Antom's values use for `currency`. */
export function exponentOf(currency: string): number {
  return ZERO_DECIMALS.has(currency) ? 0 : THREE_DECIMALS.has(currency) ? 3 : 2;
}

/** The gateway's hundredths as Antom's value; undefined when the currency cannot express it (JPY 1.50). */
export function toAntomAmount(amountMinor: number, currency: string): AntomAmount | undefined {
  const exponent = exponentOf(currency);
  const hundredths = BigInt(amountMinor);
  if (exponent === 2) return { currency, value: hundredths.toString() };
  if (exponent === 3) return { currency, value: (hundredths * 10n).toString() };
  if (hundredths % 100n !== 0n) return undefined;
  return { currency, value: (hundredths / 100n).toString() };
}

/** An Antom Amount read from an answer, in the gateway's hundredths; undefined when malformed or not whole hundredths. */
export function fromAntomAmount(amount: unknown): { amountMinor: number; currency: string } | undefined {
  if (typeof amount !== 'object' || amount === null) return undefined;
  const { currency, value } = amount as Record<string, unknown>;
  if (typeof currency !== 'string' || !CURRENCY.test(currency) || typeof value !== 'string' || !DIGITS.test(value)) return undefined;
  const units = BigInt(value);
  const exponent = exponentOf(currency);
  let hundredths: bigint;
  if (exponent === 2) hundredths = units;
  else if (exponent === 0) hundredths = units * 100n;
  else if (units % 10n === 0n) hundredths = units / 10n;
  else return undefined;
  if (hundredths > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return { amountMinor: Number(hundredths), currency };
}

const RATE_SCALE = 100_000_000n;

/**
 * The rate one unit of `from` was converted at into `to` (a decimal string with at most 8
 * decimals, half up), derived from two of Antom's values: to/from in major units.
 */
export function derivedRate(from: AntomAmount, to: AntomAmount): string | undefined {
  const fromUnits = BigInt(from.value);
  const toUnits = BigInt(to.value);
  if (fromUnits === 0n) return undefined;
  // (to / 10^et) / (from / 10^ef) = to × 10^ef / (from × 10^et)
  const numerator = toUnits * 10n ** BigInt(exponentOf(from.currency)) * RATE_SCALE;
  const denominator = fromUnits * 10n ** BigInt(exponentOf(to.currency));
  const scaled = (numerator * 2n + denominator) / (denominator * 2n);
  if (scaled === 0n) return undefined;
  const whole = scaled / RATE_SCALE;
  const fraction = (scaled % RATE_SCALE).toString().padStart(8, '0').replace(/0+$/, '');
  const text = fraction ? `${whole}.${fraction}` : whole.toString();
  const parsed = parseRate(text);
  return parsed.ok ? parsed.text : undefined;
}

/** A quoted rate as the gateway stores rates (at most 8 decimals), or undefined. */
export function normalisedRate(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const parsed = parseRate(text);
  return parsed.ok ? parsed.text : undefined;
}
