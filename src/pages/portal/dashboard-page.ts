import { formatDay, formatUtcOffset } from '../../domain/calendar-day.js';
import { formatSuccessRate, type CurrencyDashboard, type PeriodFigures } from '../../domain/dashboard-summary.js';
import { formatDisplayAmount } from '../../domain/money.js';
import type { Language } from '../i18n.js';
import { html, type RawHtml } from '../layout.js';
import { fillIn } from './core-strings.js';
import { DASHBOARD_STRINGS, methodName } from './dashboard-strings.js';
import { renderBarList, renderColumnChart } from './svg-bar-chart.js';

/** An axis label: whole units without their `.00`. */
const tick = (minor: number) => formatDisplayAmount(minor).replace(/\.00$/, '');

/**
 * The dashboard's content (inside the portal layout): per currency, today's and the last
 * 30 days' figures per method, a daily volume chart and a volume-by-method chart, each
 * chart with its figures in a table as well.
 */
export function renderDashboardBody(o: { language: Language; offsetMinutes: number; dashboards: readonly CurrencyDashboard[] }): RawHtml {
  const t = DASHBOARD_STRINGS[o.language];
  const note = html`<p class="muted small" data-test="days-note">${fillIn(t.daysNote, { offset: formatUtcOffset(o.offsetMinutes) })}</p>`;
  if (o.dashboards.length === 0) return html`<h1>${t.title}</h1>${note}<div class="card" data-test="dashboard-empty"><p>${t.empty}</p></div>`;
  return html`<h1>${t.title}</h1>${note}${o.dashboards.map((d) => renderCurrency(o.language, d))}<p class="muted small">${t.rateNote}</p>`;
}

function renderCurrency(language: Language, d: CurrencyDashboard): RawHtml {
  const t = DASHBOARD_STRINGS[language];
  const c = d.currency;
  const id = `currency-${c}`;
  const stat = (label: string, f: PeriodFigures, key: string) =>
    html`<div class="card" data-test="stat-${key}-${c}"><h3>${label}</h3><p class="stat">${formatDisplayAmount(f.total.volumeMinor)} <span class="muted small">${c}</span></p><p class="muted">${f.total.payments} ${t.payments} · ${t.successRate} ${formatSuccessRate(f.total)}</p></div>`;
  const busiest = d.daily.reduce((best, day) => (day.volumeMinor > best.volumeMinor ? day : best), d.daily[0]);
  const summary =
    d.period.total.payments === 0
      ? fillIn(t.dailySummaryEmpty, { currency: c })
      : fillIn(t.dailySummary, {
          volume: formatDisplayAmount(d.period.total.volumeMinor),
          currency: c,
          payments: d.period.total.payments,
          day: formatDay(busiest.day),
          max: formatDisplayAmount(busiest.volumeMinor),
        });
  const last = d.daily.length - 1;
  const daily = renderColumnChart({
    id: `daily-${c}`,
    title: fillIn(t.dailyChartTitle, { currency: c }),
    summary,
    formatTick: tick,
    columns: d.daily.map((day, i) => ({
      value: day.volumeMinor,
      tooltip: fillIn(t.dayBar, { day: formatDay(day.day), volume: formatDisplayAmount(day.volumeMinor), currency: c, payments: day.payments }),
      label: (last - i) % 7 === 0 ? formatDay(day.day).slice(5) : undefined,
    })),
  });
  const methodRows = d.period.methods.map((m) => ({
    label: methodName(language, m.method),
    value: m.volumeMinor,
    valueText: fillIn(t.methodValue, { volume: formatDisplayAmount(m.volumeMinor), currency: c, rate: formatSuccessRate(m) }),
  }));
  const byMethod = renderBarList({
    id: `methods-${c}`,
    title: fillIn(t.methodChartTitle, { currency: c }),
    summary: d.period.methods
      .map((m) => fillIn(t.methodBar, { method: methodName(language, m.method), volume: formatDisplayAmount(m.volumeMinor), currency: c, rate: formatSuccessRate(m) }))
      .join('; '),
    rows: methodRows,
  });
  const dayRows = [...d.daily].reverse().map(
    (day) =>
      html`<tr><th scope="row">${formatDay(day.day)}</th><td class="num">${formatDisplayAmount(day.volumeMinor)}</td><td class="num">${day.payments}</td><td class="num">${day.finished}</td><td class="num">${formatSuccessRate(day)}</td></tr>`,
  );
  return html`<section aria-labelledby="${id}" data-test="${id}"><h2 id="${id}">${fillIn(t.currencyHeading, { currency: c })}</h2>
<div class="grid">${stat(t.today, d.today, 'today')}${stat(t.last30, d.period, 'period')}</div>
<div class="card"><h3>${fillIn(t.dailyChartTitle, { currency: c })}</h3>${daily}
<details><summary>${t.showDays}</summary><div class="table-wrap"><table class="table" data-test="days-${c}"><caption class="sr-only">${fillIn(t.dailyChartTitle, { currency: c })}</caption><thead><tr><th scope="col">${t.date}</th><th scope="col" class="num">${t.volume} (${c})</th><th scope="col" class="num">${t.payments}</th><th scope="col" class="num">${t.finished}</th><th scope="col" class="num">${t.successRate}</th></tr></thead><tbody>${dayRows}</tbody></table></div></details></div>
<div class="card"><h3>${fillIn(t.methodChartTitle, { currency: c })}</h3>${byMethod}</div>
${methodTable(language, c, 'today', t.today, d.today)}${methodTable(language, c, 'period', t.last30, d.period)}</section>`;
}

function methodTable(language: Language, currency: string, key: string, caption: string, f: PeriodFigures): RawHtml {
  const t = DASHBOARD_STRINGS[language];
  const cells = (x: { volumeMinor: number; payments: number; finished: number }) =>
    html`<td class="num">${formatDisplayAmount(x.volumeMinor)}</td><td class="num">${x.payments}</td><td class="num">${x.finished}</td><td class="num">${formatSuccessRate(x)}</td>`;
  const rows = f.methods.map((m) => html`<tr data-test="row-${key}-${currency}-${m.method}"><th scope="row">${methodName(language, m.method)}</th>${cells(m)}</tr>`);
  return html`<div class="table-wrap"><table class="table" data-test="methods-${key}-${currency}"><caption>${caption} · ${currency}</caption><thead><tr><th scope="col">${t.method}</th><th scope="col" class="num">${t.volume} (${currency})</th><th scope="col" class="num">${t.payments}</th><th scope="col" class="num">${t.finished}</th><th scope="col" class="num">${t.successRate}</th></tr></thead><tbody>${rows}</tbody><tfoot><tr data-test="row-${key}-${currency}-total"><th scope="row">${t.total}</th>${cells(f.total)}</tr></tfoot></table></div>`;
}
