import type { PaymentLink } from '../../gateway/list-payment-links.js';
import type { Language } from '../i18n.js';
import { html, raw, type RawHtml } from '../layout.js';
import { fillIn } from './core-strings.js';
import { LINKS_STRINGS } from './links-strings.js';
import { copyableLink, copyStatus, linkStatusBadge, opensText } from './payment-links-page.js';

/**
 * `/portal/payment-links/:id`: everything about one link (its terms, opens, status, QR)
 * and its payment, the backing order, once a payer chose a method; Deactivate while it can
 * still be paid, for those who may.
 */
export function renderPaymentLinkBody(o: {
  language: Language;
  csrf: RawHtml;
  link: PaymentLink;
  /** A data: URL of the link's QR code. */
  qrcode: string;
  canManage: boolean;
  /** Where the order's own page is in the portal, when there is one. */
  orderHref?: string;
  flash?: { text: string; error?: boolean };
}): RawHtml {
  const t = LINKS_STRINGS[o.language];
  const { link } = o;
  const row = (label: string, value: RawHtml | string, test?: string) => html`<dt>${label}</dt><dd${test ? html` data-test="${test}"` : raw('')}>${value}</dd>`;
  const or = (value: string) => value || t.none_;
  const terms = html`<dl class="facts">
${row(t.invoiceId, html`<span class="mono">${link.invoice_id}</span>`)}
${row(t.status, linkStatusBadge(t, link.status), 'link-status')}
${row(t.amount, `${link.amount} ${link.currency}`)}
${row(t.wallet, `${link.wallet_name} (${link.wallet_id})`)}
${row(t.productName, or(link.product_name))}
${row(t.customerReference, or(link.customer_reference))}
${row(t.customerOrderId, or(link.customer_order_id))}
${row(t.created, link.created_time)}
${row(t.validUntil, link.expire_time)}
${row(t.opens, link.max_open_count === null ? `${link.open_count} (${t.noLimit})` : opensText(t, link), 'link-opens')}
${row(t.methods, link.payment_methods.join(', ') || t.none_)}
${row(t.returnUrl, or(link.return_url))}
${row(t.notifyUrl, or(link.notify_url))}
</dl>`;
  const order =
    link.order_id === ''
      ? html`<p class="muted">${t.noOrderYet}</p>`
      : html`<dl class="facts">
${row(t.orderId, o.orderHref ? html`<a class="mono" href="${o.orderHref}">${link.order_id}</a>` : html`<span class="mono">${link.order_id}</span>`, 'order-id')}
${row(t.orderStatus, link.order_status ?? t.none_, 'order-status')}
${row(t.paidMethod, or(link.paid_method))}
${row(t.paidTime, or(link.paid_time))}
</dl>`;
  const deactivate =
    o.canManage && link.status === 'pending'
      ? html`<form method="post" action="/portal/payment-links/${link.invoice_id}/deactivate" class="actions">${o.csrf}<button class="button danger" type="submit">${t.deactivate}</button><span class="muted small">${t.deactivateHint}</span></form>`
      : raw('');
  const flash = o.flash ? html`<p class="flash${o.flash.error ? ' error' : ''}" role="status">${o.flash.text}</p>` : raw('');
  return html`<p><a href="/portal/payment-links">← ${t.back}</a></p><h1>${fillIn(t.detailTitle, { id: link.product_name || link.invoice_id })}</h1>${flash}
<div class="card"><h2>${t.link}</h2>${copyableLink(t, 'link-url', link.invoice_url, fillIn(t.linkOf, { id: link.invoice_id }))}
<p class="actions"><a href="${link.invoice_url}" target="_blank" rel="noopener" data-test="open-link">${t.openLink}</a></p>
<img class="qr-image" src="${o.qrcode}" alt="${t.qrOf}" width="180" height="180">${deactivate}</div>
<div class="grid"><div class="card">${terms}</div><div class="card"><h2>${t.theOrder}</h2>${order}</div></div>${copyStatus}`;
}
