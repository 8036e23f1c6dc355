/** A wallet's ledger entries of one kind on one day: how many, and their signed amounts summed (minor units). */
export interface LedgerDayTotal {
  day: number;
  /** `payment` (money in); `refund`, `reversal` (money out), `refund_failed` (a refund's money back in). */
  kind: string;
  entries: number;
  amountMinor: number;
}

/** One day of a wallet's ledger. */
export interface LedgerDay {
  day: number;
  /** Payments received, ≥ 0. */
  paymentsMinor: number;
  /** Money given back: refunds and reversals of late payments, less refunds that failed; ≤ 0 as a rule. */
  refundsMinor: number;
  /** paymentsMinor + refundsMinor. */
  netMinor: number;
  /** The wallet's balance at the end of the day. */
  balanceMinor: number;
  entries: number;
}

export interface LedgerStatement {
  /** The balance before the first day of the range. */
  openingMinor: number;
  /** The days of the range that have entries, oldest first. */
  days: LedgerDay[];
  paymentsMinor: number;
  refundsMinor: number;
  netMinor: number;
  /** The balance at the end of the last day of the range. */
  closingMinor: number;
}

/**
 * A wallet's ledger by day over fromDay..toDay (both included), from the day totals of
 * those days and the balance before them; rows outside the range are ignored. The running
 * balance is the opening balance plus each day's net, in order.
 */
export function summariseLedgerDays(rows: readonly LedgerDayTotal[], openingMinor: number, fromDay: number, toDay: number): LedgerStatement {
  const byDay = new Map<number, LedgerDay>();
  for (const row of rows) {
    if (row.day < fromDay || row.day > toDay) continue;
    let d = byDay.get(row.day);
    if (!d) {
      d = { day: row.day, paymentsMinor: 0, refundsMinor: 0, netMinor: 0, balanceMinor: 0, entries: 0 };
      byDay.set(row.day, d);
    }
    if (row.kind === 'payment') d.paymentsMinor += row.amountMinor;
    else d.refundsMinor += row.amountMinor;
    d.netMinor += row.amountMinor;
    d.entries += row.entries;
  }
  const days = [...byDay.values()].sort((a, b) => a.day - b.day);
  let balance = openingMinor;
  let paymentsMinor = 0;
  let refundsMinor = 0;
  for (const d of days) {
    balance += d.netMinor;
    d.balanceMinor = balance;
    paymentsMinor += d.paymentsMinor;
    refundsMinor += d.refundsMinor;
  }
  return { openingMinor, days, paymentsMinor, refundsMinor, netMinor: paymentsMinor + refundsMinor, closingMinor: balance };
}
