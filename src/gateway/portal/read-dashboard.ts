import { dayOf } from '../../domain/calendar-day.js';
import { summariseDashboard, type CurrencyDashboard } from '../../domain/dashboard-summary.js';
import type { OrderDayTotals } from '../../store/order-day-totals.js';
import type { GatewayContext } from '../context.js';

/** How many days the dashboard's longer period covers, today included. */
export const DASHBOARD_DAYS = 30;

/** An organisation's dashboard: per currency, today and the last 30 days (days in TIMEZONE_OFFSET). */
export async function readDashboard(ctx: Pick<GatewayContext, 'clock' | 'config'>, totals: OrderDayTotals, organisationId: number): Promise<CurrencyDashboard[]> {
  const now = ctx.clock();
  const today = dayOf(now, ctx.config.timeZoneOffsetMinutes);
  const rows = await totals.read(organisationId, today - DASHBOARD_DAYS + 1, today, now);
  return summariseDashboard(rows, today, DASHBOARD_DAYS);
}
