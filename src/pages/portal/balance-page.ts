import { formatDay, formatUtcOffset } from '../../domain/calendar-day.js';
import type { LedgerStatement } from '../../domain/ledger-days.js';
import { formatDisplayAmount } from '../../domain/money.js';
import type { Language } from '../i18n.js';
import { html, type RawHtml } from '../layout.js';
import { BALANCE_STRINGS } from './balance-strings.js';
import { fillIn } from './core-strings.js';

export interface BalanceWallet {
  id: string;
  name: string;
  currency: string;
  test: boolean;
}

/**
 * The balance page's content (inside the portal layout): the wallet and date range form,
 * then each wallet's ledger by day (payments, refunds, net, running balance) between its
 * opening and closing balance.
 */
export function renderBalanceBody(o: {
  language: Language;
  offsetMinutes: number;
  /** Every wallet of the organisation, for the form. */
  wallets: readonly BalanceWallet[];
  /** The wallet chosen, or '' for all. */
  selected: string;
  fromDay: number;
  toDay: number;
  /** The form's dates could not be read: the page shows the default range and says so. */
  badDates: boolean;
  statements: ReadonlyArray<{ wallet: BalanceWallet; statement: LedgerStatement }>;
}): RawHtml {
  const t = BALANCE_STRINGS[o.language];
  const from = formatDay(o.fromDay);
  const to = formatDay(o.toDay);
  const options = o.wallets.map(
    (w) => html`<option value="${w.id}"${o.selected === w.id ? html` selected` : html``}>${w.name} · ${w.id} · ${w.currency}</option>`,
  );
  const form = html`<form class="filters" method="get" action="/portal/balance" data-test="balance-form">
<div class="field"><label for="balance-wallet">${t.wallet}</label><select id="balance-wallet" name="wallet"><option value="">${t.allWallets}</option>${options}</select></div>
<div class="field"><label for="balance-from">${t.from}</label><input id="balance-from" name="from" type="date" value="${from}" placeholder="${t.dateHint}" pattern="\\d{4}-\\d{2}-\\d{2}"></div>
<div class="field"><label for="balance-to">${t.to}</label><input id="balance-to" name="to" type="date" value="${to}" placeholder="${t.dateHint}" pattern="\\d{4}-\\d{2}-\\d{2}"></div>
<button class="button primary" type="submit">${t.show}</button></form>`;
  const error = o.badDates ? html`<p class="flash error" role="alert" data-test="bad-dates">${t.badDate}</p>` : html``;
  const intro = html`<p class="muted" data-test="days-note">${fillIn(t.intro, { offset: formatUtcOffset(o.offsetMinutes) })}</p>`;
  if (o.wallets.length === 0) return html`<h1>${t.title}</h1>${intro}<div class="card"><p>${t.noWallets}</p></div>`;
  return html`<h1>${t.title}</h1>${intro}${error}${form}${o.statements.map((s) => renderWallet(o.language, s.wallet, s.statement, o.fromDay, o.toDay))}<p class="muted small">${t.refundsNote}</p>`;
}

function renderWallet(language: Language, wallet: BalanceWallet, s: LedgerStatement, fromDay: number, toDay: number): RawHtml {
  const t = BALANCE_STRINGS[language];
  const c = wallet.currency;
  const id = `wallet-${wallet.id}`;
  const amount = (minor: number) => formatDisplayAmount(minor);
  const from = formatDay(fromDay);
  const to = formatDay(toDay);
  const heading = html`<h2 id="${id}">${fillIn(t.walletHeading, { name: wallet.name, id: wallet.id, currency: c })}${wallet.test ? html` <span class="badge warn">${t.test}</span>` : html``}</h2>`;
  const opening = html`<p data-test="opening">${fillIn(t.opening, { day: from })}: <strong>${amount(s.openingMinor)} ${c}</strong></p>`;
  const closing = html`<p data-test="closing">${fillIn(t.closing, { day: to })}: <strong>${amount(s.closingMinor)} ${c}</strong></p>`;
  if (s.days.length === 0) {
    return html`<section class="card" aria-labelledby="${id}" data-test="${id}">${heading}${opening}<p class="muted" data-test="no-entries">${fillIn(t.noEntries, { from, to })}</p>${closing}</section>`;
  }
  const rows = s.days.map(
    (d) =>
      html`<tr data-test="day-${formatDay(d.day)}"><th scope="row">${formatDay(d.day)}</th><td class="num">${amount(d.paymentsMinor)}</td><td class="num">${amount(d.refundsMinor)}</td><td class="num">${amount(d.netMinor)}</td><td class="num">${amount(d.balanceMinor)}</td><td class="num">${d.entries}</td></tr>`,
  );
  const caption = fillIn(t.tableCaption, { wallet: wallet.name, from, to, currency: c });
  return html`<section class="card" aria-labelledby="${id}" data-test="${id}">${heading}${opening}<div class="table-wrap"><table class="table" data-test="ledger-${wallet.id}"><caption class="sr-only">${caption}</caption><thead><tr><th scope="col">${t.date}</th><th scope="col" class="num">${t.payments}</th><th scope="col" class="num">${t.refunds}</th><th scope="col" class="num">${t.net}</th><th scope="col" class="num">${t.balance}</th><th scope="col" class="num">${t.entries}</th></tr></thead><tbody>${rows}</tbody><tfoot><tr data-test="total"><th scope="row">${t.total}</th><td class="num">${amount(s.paymentsMinor)}</td><td class="num">${amount(s.refundsMinor)}</td><td class="num">${amount(s.netMinor)}</td><td class="num">${amount(s.closingMinor)}</td><td class="num">${s.days.reduce((n, d) => n + d.entries, 0)}</td></tr></tfoot></table></div>${closing}</section>`;
}
