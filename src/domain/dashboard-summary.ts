import type { FinalStatus } from './order-status.js';

/** Orders that reached `status`, created on `day` for one wallet and method: how many, and their amounts summed. */
export interface OrderDayTotal {
  day: number;
  walletId: string;
  currency: string;
  method: string;
  status: FinalStatus;
  orders: number;
  amountMinor: number;
}

/** What one method (or all of them) did in a period: paid volume, payments, and orders that finished. */
export interface Figures {
  /** The amounts of the paid orders, in minor units of the currency. */
  volumeMinor: number;
  /** Paid orders. */
  payments: number;
  /** Orders that reached a final state: paid, failed, canceled or rejected. */
  finished: number;
}

export interface MethodFigures extends Figures {
  method: string;
}

export interface PeriodFigures {
  methods: MethodFigures[];
  total: Figures;
}

/** One currency's dashboard; amounts of different currencies are never added together. */
export interface CurrencyDashboard {
  currency: string;
  today: PeriodFigures;
  /** The last `days` days, today included. */
  period: PeriodFigures;
  /** Each of those days, oldest first, days without payments included. */
  daily: Array<{ day: number } & Figures>;
}

const zero = (): Figures => ({ volumeMinor: 0, payments: 0, finished: 0 });

function add(into: Figures, row: OrderDayTotal): void {
  into.finished += row.orders;
  if (row.status === 'paid') {
    into.payments += row.orders;
    into.volumeMinor += row.amountMinor;
  }
}

/**
 * The dashboard, per currency (sorted by code), from the day totals of the last `days` days
 * ending with `today`; rows outside those days are ignored. The methods of both periods are
 * those seen in the longer one, by volume, then finished orders, then name, so the two
 * tables line up.
 */
export function summariseDashboard(rows: readonly OrderDayTotal[], today: number, days: number): CurrencyDashboard[] {
  const first = today - days + 1;
  const byCurrency = new Map<string, { today: Map<string, Figures>; period: Map<string, Figures>; daily: Figures[] }>();
  for (const row of rows) {
    if (row.day < first || row.day > today) continue;
    let c = byCurrency.get(row.currency);
    if (!c) {
      c = { today: new Map(), period: new Map(), daily: Array.from({ length: days }, zero) };
      byCurrency.set(row.currency, c);
    }
    const method = (m: Map<string, Figures>) => m.get(row.method) ?? m.set(row.method, zero()).get(row.method)!;
    add(method(c.period), row);
    if (row.day === today) add(method(c.today), row);
    add(c.daily[row.day - first], row);
  }
  return [...byCurrency.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([currency, c]) => {
      const order = [...c.period.entries()]
        .sort(([an, a], [bn, b]) => b.volumeMinor - a.volumeMinor || b.finished - a.finished || (an < bn ? -1 : an > bn ? 1 : 0))
        .map(([name]) => name);
      const period = (m: Map<string, Figures>): PeriodFigures => {
        const methods = order.map((name) => ({ method: name, ...(m.get(name) ?? zero()) }));
        const total = zero();
        for (const f of methods) {
          total.volumeMinor += f.volumeMinor;
          total.payments += f.payments;
          total.finished += f.finished;
        }
        return { methods, total };
      };
      return {
        currency,
        today: period(c.today),
        period: period(c.period),
        daily: c.daily.map((f, i) => ({ day: first + i, ...f })),
      };
    });
}

/** The success rate, paid ÷ finished, in tenths of a percent (0 to 1000); undefined when nothing finished. */
export function successRate(f: Pick<Figures, 'payments' | 'finished'>): number | undefined {
  if (f.finished === 0) return undefined;
  return Math.round((f.payments * 1000) / f.finished);
}

/** `75.0%`; `–` when nothing finished. */
export function formatSuccessRate(f: Pick<Figures, 'payments' | 'finished'>): string {
  const rate = successRate(f);
  if (rate === undefined) return '–';
  return `${Math.floor(rate / 10)}.${rate % 10}%`;
}
