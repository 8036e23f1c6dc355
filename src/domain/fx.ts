/**
 * FX rates are decimal strings (`4.6449`), held as integers scaled by 10^8 for arithmetic:
 * no float ever touches money. Conversions round half up to the minor unit.
 */
const RATE = /^(\d{1,6})(?:\.(\d{1,8}))?$/;
const SCALE = 100_000_000n;

export type RateParse = { ok: true; text: string; scaled: bigint } | { ok: false; reason: string };

/** A positive rate with at most 8 decimals; the text is normalised (no trailing zeros). */
export function parseRate(input: string): RateParse {
  const match = RATE.exec(input.trim());
  if (!match) return { ok: false, reason: 'must be a positive decimal such as 4.6449' };
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  const scaled = BigInt(match[1]) * SCALE + BigInt(fraction.padEnd(8, '0') || '0');
  if (scaled === 0n) return { ok: false, reason: 'must be greater than zero' };
  const whole = String(BigInt(match[1]));
  return { ok: true, text: fraction ? `${whole}.${fraction}` : whole, scaled };
}

/** `amountMinor` in the base currency converted at `rate` to minor units of the quote currency. */
export function convertMinor(amountMinor: number, rate: string): number {
  const product = BigInt(amountMinor) * scaledRate(rate);
  return Number((product + SCALE / 2n) / SCALE);
}

// Every new order is converted at one of a few current rates: each is parsed once, not per
// order (the regular expression and BigInts were ~2% of the create path's CPU). Bounded.
const scaledRates = new Map<string, bigint>();

function scaledRate(rate: string): bigint {
  let scaled = scaledRates.get(rate);
  if (scaled === undefined) {
    const parsed = parseRate(rate);
    if (!parsed.ok) throw new RangeError(`invalid rate ${rate}`);
    if (scaledRates.size >= 256) scaledRates.clear();
    scaled = parsed.scaled;
    scaledRates.set(rate, scaled);
  }
  return scaled;
}
