import type { PaymentLink } from '../../gateway/list-payment-links.js';
import type { Language } from '../i18n.js';
import { html, raw, type RawHtml } from '../layout.js';
import { fillIn } from './core-strings.js';
import { LINKS_STRINGS, type LinksStrings } from './links-strings.js';

/** A link's status as a badge: open (pending), paid, failed or expired, deactivated. */
export function linkStatusBadge(t: LinksStrings, status: string): RawHtml {
  switch (status) {
    case 'paid':
      return html`<span class="badge ok">${t.statusPaid}</span>`;
    case 'pending':
      return html`<span class="badge warn">${t.statusPending}</span>`;
    case 'canceled':
      return html`<span class="badge">${t.statusCanceled}</span>`;
    default:
      return html`<span class="badge bad">${t.statusFailed}</span>`;
  }
}

/** The link as text the reader can select, and a button that copies it (see COPY_SCRIPT). */
export function copyableLink(t: LinksStrings, id: string, url: string, label: string, describedBy?: string): RawHtml {
  const description = describedBy ? html` aria-describedby="${describedBy}"` : raw('');
  return html`<span class="copy"><input class="mono" id="${id}" type="text" readonly value="${url}" aria-label="${label}" data-test="link-url"><button class="button" type="button" data-copy="${id}" data-copied="${t.copied}" data-failed="${t.copyFailed}"${description}>${t.copyLink}</button></span>`;
}

/** The live region copy buttons report to. */
export const copyStatus: RawHtml = raw('<p class="sr-only" id="copy-status" role="status" aria-live="polite"></p>');

export function opensText(t: LinksStrings, link: Pick<PaymentLink, 'open_count' | 'max_open_count'>): string {
  return link.max_open_count === null ? String(link.open_count) : fillIn(t.opensOf, { count: link.open_count, max: link.max_open_count });
}

/** `/portal/payment-links`: the organisation's links, newest first, a page at a time. */
export function renderPaymentLinksBody(o: {
  language: Language;
  links: readonly PaymentLink[];
  total: number;
  page: number;
  pageSize: number;
  canManage: boolean;
  flash?: { text: string; error?: boolean };
}): RawHtml {
  const t = LINKS_STRINGS[o.language];
  const pages = Math.max(1, Math.ceil(o.total / o.pageSize));
  const rows = o.links.map(
    (link, i) => html`<tr data-test="link-row" data-invoice-id="${link.invoice_id}">
<td>${link.created_time}</td>
<td><span id="desc-${i}">${link.product_name || link.invoice_id}</span>${link.product_name ? html`<br><span class="muted small mono">${link.invoice_id}</span>` : raw('')}</td>
<td class="num">${link.amount} ${link.currency}</td>
<td data-test="link-status">${linkStatusBadge(t, link.status)}</td>
<td class="num" data-test="link-opens">${opensText(t, link)}</td>
<td>${link.paid_time || t.none_}</td>
<td>${copyableLink(t, `link-${i}`, link.invoice_url, fillIn(t.linkOf, { id: link.invoice_id }), `desc-${i}`)}</td>
<td><a href="/portal/payment-links/${link.invoice_id}" aria-label="${fillIn(t.detailsOf, { id: link.invoice_id })}">${t.details}</a></td>
</tr>`,
  );
  const pager =
    pages > 1
      ? html`<nav class="pager" aria-label="${t.pagerLabel}">${o.page > 1 ? html`<a class="button" href="?page=${o.page - 1}">${t.previous}</a>` : html`<span></span>`}<span>${fillIn(t.pageOf, { page: o.page, pages })}</span>${o.page < pages ? html`<a class="button" href="?page=${o.page + 1}">${t.next}</a>` : html`<span></span>`}</nav>`
      : raw('');
  const flash = o.flash ? html`<p class="flash${o.flash.error ? ' error' : ''}" role="status">${o.flash.text}</p>` : raw('');
  const table =
    o.links.length === 0
      ? html`<div class="card"><p class="muted">${t.none}</p></div>`
      : html`<div class="table-wrap"><table class="table"><thead><tr><th scope="col">${t.created}</th><th scope="col">${t.description}</th><th scope="col" class="num">${t.amount}</th><th scope="col">${t.status}</th><th scope="col" class="num">${t.opens}</th><th scope="col">${t.paid}</th><th scope="col">${t.link}</th><th scope="col"><span class="sr-only">${t.details}</span></th></tr></thead><tbody>${rows}</tbody></table></div>`;
  return html`<h1>${t.title}</h1>${flash}<p class="muted">${t.intro}</p>${o.canManage ? html`<p class="actions"><a class="button primary" href="/portal/payment-links/new">${t.newLink}</a></p>` : raw('')}${table}${pager}${copyStatus}`;
}
