/**
 * Money is an integer number of minor units (cents) with a currency; never a float.
 * Parsing and formatting of the wire's decimal strings live here and nowhere else.
 */
export interface Money {
  readonly minor: number;
  readonly currency: string;
}

/** The largest amount accepted: 10^13 minor units stays far inside Number's exact range. */
export const MAX_MINOR = 10_000_000_000_000;

const DECIMAL = /^(\d{1,14})(?:\.(\d+))?$/;

export type AmountParse = { ok: true; minor: number } | { ok: false; reason: string };

/**
 * Parses an amount as received on the wire (spec §1): a decimal string with at most two
 * significant fraction digits (trailing zeros beyond two are accepted), or a JSON number.
 * Rejects zero, negatives, exponents, more than two significant decimals, and anything else.
 */
export function parseAmount(input: unknown): AmountParse {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return { ok: false, reason: 'must be a finite number' };
    // A JSON number such as 0.5 or 120 is read through its shortest decimal form.
    text = String(input);
  } else if (typeof input === 'string') {
    text = input;
  } else {
    return { ok: false, reason: 'must be a decimal string such as "120.00"' };
  }
  const match = DECIMAL.exec(text);
  if (!match) return { ok: false, reason: 'must be a positive decimal with at most 2 decimals, e.g. "120.00"' };
  const whole = match[1];
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > 2) return { ok: false, reason: 'has more than 2 decimals' };
  const minor = Number(whole) * 100 + Number(fraction.padEnd(2, '0'));
  if (minor <= 0) return { ok: false, reason: 'must be greater than zero' };
  if (minor > MAX_MINOR) return { ok: false, reason: 'is too large' };
  return { ok: true, minor };
}

/** Formats minor units as the wire's 2-decimal string: 12000 → "120.00". */
export function formatAmount(minor: number): string {
  if (!Number.isSafeInteger(minor) || minor < 0) throw new RangeError(`invalid minor amount ${minor}`);
  const whole = Math.floor(minor / 100);
  const cents = minor % 100;
  return `${whole}.${cents < 10 ? '0' : ''}${cents}`;
}

/**
 * The currencies a wallet may hold: ISO 4217 codes in current use whose amounts have two
 * decimal places, because the wire carries every amount with exactly two (spec §1).
 * The list is ICU's (CLDR's digits, which Node ships), so JPY (0 decimals) and KWD (3) are
 * refused, and so is an unknown code such as XYZ.
 */
const TWO_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set(
  Intl.supportedValuesOf('currency').filter(
    (code) => new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions().maximumFractionDigits === 2,
  ),
);

export function isCurrency(value: string): boolean {
  return TWO_DECIMAL_CURRENCIES.has(value);
}

/**
 * Formats signed minor units for people (the portal's figures): thousands grouped, a `-`
 * before money that went out. -123456 → "-1,234.56"; the wire's amounts use formatAmount.
 */
export function formatDisplayAmount(minor: number): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`invalid minor amount ${minor}`);
  const [whole, cents] = formatAmount(Math.abs(minor)).split('.');
  return `${minor < 0 ? '-' : ''}${whole.replace(/\B(?=(\d{3})+$)/g, ',')}.${cents}`;
}
