import { dayOf, parseDay } from '../../domain/calendar-day.js';
import { summariseLedgerDays, type LedgerStatement } from '../../domain/ledger-days.js';
import type { LedgerDayTotals } from '../../store/ledger-day-totals.js';
import { listWalletsOfOrganisation, type WalletRecord } from '../../store/merchants.js';
import type { GatewayContext } from '../context.js';

/** The longest range the balance page shows at once, in days. */
export const LONGEST_BALANCE_RANGE_DAYS = 366;
/** The range shown when none is asked for: the last 30 days, today included. */
const DEFAULT_RANGE_DAYS = 30;

export type BalanceView =
  | { kind: 'unknown_wallet' }
  | {
      kind: 'ok';
      wallets: WalletRecord[];
      /** The wallet asked for, or '' for all of them. */
      selected: string;
      fromDay: number;
      toDay: number;
      /** The dates asked for could not be read: the default range is shown instead. */
      badDates: boolean;
      statements: Array<{ wallet: WalletRecord; statement: LedgerStatement }>;
    };

/**
 * The balance page of an organisation: each of its wallets (or the one asked for) with its
 * ledger by day over a range of days. A wallet of another organisation is unknown, exactly
 * like one that does not exist.
 */
export async function readBalance(
  ctx: Pick<GatewayContext, 'clock' | 'config' | 'store'>,
  totals: LedgerDayTotals,
  organisationId: number,
  query: { wallet?: string; from?: string; to?: string },
): Promise<BalanceView> {
  const now = ctx.clock();
  const today = dayOf(now, ctx.config.timeZoneOffsetMinutes);
  const wallets = await listWalletsOfOrganisation(ctx.store.db, organisationId);
  const selected = query.wallet ?? '';
  const shown = selected === '' ? wallets : wallets.filter((w) => w.id === selected);
  if (shown.length === 0 && selected !== '') return { kind: 'unknown_wallet' };

  const range = readRange(query.from, query.to, today);
  const fromDay = range?.fromDay ?? today - DEFAULT_RANGE_DAYS + 1;
  const toDay = range?.toDay ?? today;
  const statements = [];
  for (const wallet of shown) {
    const { openingMinor, rows } = await totals.read(wallet.id, fromDay, toDay, now);
    statements.push({ wallet, statement: summariseLedgerDays(rows, openingMinor, fromDay, toDay) });
  }
  return { kind: 'ok', wallets, selected, fromDay, toDay, badDates: range === undefined, statements };
}

/** The days asked for; either end may be left out (the last 30 days, to today). Undefined when they cannot be read. */
function readRange(from: string | undefined, to: string | undefined, today: number): { fromDay: number; toDay: number } | undefined {
  const toDay = to === undefined || to === '' ? today : parseDay(to);
  if (toDay === undefined) return undefined;
  const fromDay = from === undefined || from === '' ? toDay - DEFAULT_RANGE_DAYS + 1 : parseDay(from);
  if (fromDay === undefined || fromDay > toDay || toDay - fromDay + 1 > LONGEST_BALANCE_RANGE_DAYS) return undefined;
  return { fromDay, toDay };
}
