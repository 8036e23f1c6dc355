import { formatAmount } from '../../domain/money.js';
import { ORDER_STATUSES } from '../../domain/order-status.js';
import { PAYMENT_METHODS } from '../../domain/payment-methods.js';
import { formatWireTime } from '../../domain/time.js';
import { encodeCursor, filterQuery, type FilterProblem, type ParsedFilter } from '../../domain/transaction-filter.js';
import type { TransactionPage } from '../../store/transaction-list.js';
import type { Language } from '../i18n.js';
import { html, raw, type RawHtml } from '../layout.js';
import { fill, TRANSACTIONS_STRINGS, type TransactionsStrings } from './transactions-strings.js';

export interface WalletOption {
  readonly id: string;
  readonly name: string;
  readonly currency: string;
}

/** The zone wire times are in, as the page names it: `UTC+08:00`. */
export function zoneName(offsetMinutes: number): string {
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export function statusBadge(t: TransactionsStrings, status: string): RawHtml {
  const tone = status === 'paid' ? 'ok' : status === 'pending' ? 'warn' : 'bad';
  const label = (t as Record<string, string>)[`status_${status}`] ?? status;
  return html`<span class="badge ${tone}" data-status="${status}">${label}</span>`;
}

/**
 * The transaction list's body: the filter form, the Export CSV button (a form of its own
 * carrying the filter as applied, so the file is exactly what the list shows), problems
 * with the filter, the page's table and the pager. `page` is undefined when the filter
 * could not be read (nothing is listed then).
 */
export function renderTransactionsBody(o: {
  language: Language;
  offsetMinutes: number;
  parsed: ParsedFilter;
  problems: readonly FilterProblem[];
  wallets: readonly WalletOption[];
  page: TransactionPage | undefined;
}): RawHtml {
  const t = TRANSACTIONS_STRINGS[o.language];
  const v = o.parsed.values;
  const option = (value: string, label: string, selected: string | undefined) =>
    html`<option value="${value}"${value === (selected ?? '') ? raw(' selected') : raw('')}>${label}</option>`;
  const select = (name: string, label: string, options: RawHtml[]) =>
    html`<div class="field"><label for="f-${name}">${label}</label><select id="f-${name}" name="${name}">${options}</select></div>`;
  const input = (name: string, label: string, type: string, extra = '') =>
    html`<div class="field"><label for="f-${name}">${label}</label><input id="f-${name}" name="${name}" type="${type}" value="${(v as Record<string, string | undefined>)[name] ?? ''}"${raw(extra)}></div>`;

  const form = html`<form class="filters" method="get" action="/portal/transactions" role="search" aria-label="${t.filtersLabel}">
${select('status', t.status, [option('', t.any, v.status), ...ORDER_STATUSES.map((s) => option(s, (t as Record<string, string>)[`status_${s}`] ?? s, v.status))])}
${select('method', t.method, [option('', t.any, v.method), ...PAYMENT_METHODS.map((m) => option(m, m, v.method))])}
${select('wallet', t.wallet, [option('', t.any, v.wallet), ...o.wallets.map((w) => option(w.id, `${w.name} (${w.id}, ${w.currency})`, v.wallet))])}
${input('from', t.from, 'date')}
${input('to', t.to, 'date')}
${input('min', t.min, 'text', ' inputmode="decimal" autocomplete="off" size="10"')}
${input('max', t.max, 'text', ' inputmode="decimal" autocomplete="off" size="10"')}
${input('q', t.search, 'search', ' autocomplete="off" maxlength="255"')}
<div class="actions"><button class="button primary" type="submit">${t.filter}</button><a href="/portal/transactions">${t.clear}</a></div>
</form>`;

  const exportHidden = Object.entries(v).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  const exportForm = html`<form class="actions" method="get" action="/portal/transactions.csv" data-test="export-form">${exportHidden}<button class="button" type="submit">${t.exportCsv}</button><span class="muted small">${t.exportHint} ${fill(t.timesIn, { zone: zoneName(o.offsetMinutes) })}</span></form>`;

  const problems =
    o.problems.length > 0
      ? html`<div class="flash error" role="alert" data-test="filter-problems"><p>${t.problemIntro}</p><ul>${o.problems.map((p) => html`<li>${(t as Record<string, string>)[`problem_${p}`] ?? p}</li>`)}</ul></div>`
      : raw('');

  return html`<h1>${t.title}</h1>
<div class="card">${form}${exportForm}</div>
${problems}
${o.page ? renderList(t, o, o.page) : raw('')}`;
}

function renderList(t: TransactionsStrings, o: { offsetMinutes: number; parsed: ParsedFilter }, page: TransactionPage): RawHtml {
  const filtered = Object.keys(o.parsed.values).length > 0;
  const rows = page.rows.map(
    (r) => html`<tr data-order="${r.order_id}">
<td class="nowrap">${formatWireTime(Number(r.created_at), o.offsetMinutes)}</td>
<td class="nowrap"><a href="/portal/orders/${encodeURIComponent(r.order_id)}">${r.order_id}</a></td>
<td class="mono">${r.merchant_reference}</td>
<td>${statusBadge(t, r.status)}</td>
<td>${r.payment_method}</td>
<td class="num">${formatAmount(Number(r.amount_minor))} ${r.currency}</td>
<td class="nowrap">${r.wallet_id}</td>
</tr>`,
  );
  const empty = page.rows.length === 0 && !page.windowEnded ? html`<p class="card muted" data-test="empty">${filtered || o.parsed.filter.after ? t.noMatches : t.noTransactions}</p>` : raw('');
  const table =
    page.rows.length > 0
      ? html`<div class="table-wrap"><table class="table" data-test="transactions"><caption class="sr-only">${t.tableCaption}</caption><thead><tr><th scope="col">${t.created}</th><th scope="col">${t.orderId}</th><th scope="col">${t.reference}</th><th scope="col">${t.status}</th><th scope="col">${t.method}</th><th scope="col" class="num">${t.amount}</th><th scope="col">${t.wallet}</th></tr></thead><tbody>${rows}</tbody></table></div>`
      : raw('');
  const nextHref = page.next ? `/portal/transactions?${filterQuery(o.parsed.values, { cursor: encodeCursor(page.next) })}` : undefined;
  const windowNote =
    page.windowEnded && page.next
      ? html`<p class="muted" data-test="window-ended">${fill(t.windowEnded, { date: formatWireTime(page.next.createdAt, o.offsetMinutes).slice(0, 10) })}</p>`
      : raw('');
  const first = o.parsed.filter.after ? html`<a href="/portal/transactions${Object.keys(o.parsed.values).length ? `?${filterQuery(o.parsed.values)}` : ''}">${t.newest}</a>` : html`<span></span>`;
  const next = nextHref ? html`<a href="${nextHref}" rel="next" data-test="next">${page.windowEnded ? t.searchOlder : t.older}</a>` : raw('');
  const pager = o.parsed.filter.after || nextHref ? html`<nav class="pager" aria-label="${t.pagerLabel}">${first}${next}</nav>` : raw('');
  return html`${empty}${table}${windowNote}${pager}`;
}
