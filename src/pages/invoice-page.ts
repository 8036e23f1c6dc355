import { formatAmount } from '../domain/money.js';
import type { PageRefusal } from '../domain/invoice.js';
import type { PaymentMethod } from '../domain/payment-methods.js';
import { formatWireTime } from '../domain/time.js';
import type { Language } from './i18n.js';
import { invoiceStringsFor, type InvoiceStrings } from './invoice-strings.js';
import { html, page, raw, type RawHtml } from './layout.js';
import { methodLogo } from './method-logo.js';
import type { Theme } from './theme.js';

/** What the invoice page shows of an invoice. */
export interface InvoiceSummary {
  readonly invoice_id: string;
  readonly token: string;
  readonly amount_minor: number;
  readonly currency: string;
  readonly product_name: string;
  readonly customer_order_id: string | null;
  readonly customer_reference: string | null;
  readonly expires_at: number;
}

export interface InvoicePageInput {
  invoice: InvoiceSummary;
  organisationName: string;
  methods: readonly PaymentMethod[];
  /** The QR of invoice_url (a PNG data URL), when the invoice asks for it. */
  qrcodePic: string | undefined;
  /** Shown above the choices: a pick that could not be made. */
  notice?: 'unavailable' | 'busy';
  language: Language;
  theme: Theme;
  offsetMinutes: number;
}

/**
 * The page invoice_url opens: who is paid, how much, for what, and one button per method the
 * wallet offers (a form posting the choice back here, so it works without script); the QR
 * of the link itself when the invoice asks for it (to move to a phone).
 */
export function renderInvoicePage(input: InvoicePageInput): string {
  const { invoice, language } = input;
  const t = invoiceStringsFor(language);
  const choices = input.methods.length
    ? html`<form method="post" action="/invoice/${invoice.token}?lang=${language}" data-test="methods">
        ${input.methods.map((method) => methodButton(method, t))}
      </form>`
    : html`<p class="notice" data-test="no-methods">${t.noMethods}</p>`;
  const body = html`
    <p class="label">${t.payTo}</p>
    <h1 data-test="merchant">${input.organisationName}</h1>
    <div class="amount" data-test="amount">${formatAmount(Number(invoice.amount_minor))} <span class="muted">${invoice.currency}</span></div>
    ${details(invoice, t)}
    ${input.notice ? html`<p class="notice" role="alert" data-test="notice" data-notice="${input.notice}">${t[input.notice]}</p>` : raw('')}
    <p class="label">${t.choose}</p>
    ${choices}
    <p class="countdown" data-test="valid-until">${t.validUntil.replace('{time}', formatWireTime(Number(invoice.expires_at), input.offsetMinutes))}</p>
    ${input.qrcodePic
      ? html`<div class="qr" data-test="invoice-qr"><img src="${input.qrcodePic}" width="220" height="220" alt="${t.scanToOpen}"></div><p class="hint">${t.scanToOpen}</p>`
      : raw('')}
    ${smallPrint(invoice, t)}`;
  return page({
    language,
    theme: input.theme,
    title: `${t.title} ${invoice.product_name || invoice.invoice_id}`,
    body,
    switchHref: `?lang=${language === 'en' ? 'zh' : 'en'}`,
    switchLabel: t.language,
  });
}

export interface InvoiceRefusedInput {
  invoice: InvoiceSummary;
  organisationName: string;
  reason: Exclude<PageRefusal, 'paid'>;
  language: Language;
  theme: Theme;
}

/** The page of an invoice that can no longer be paid: deleted, expired, failed, or opened too often. */
export function renderInvoiceRefusedPage(input: InvoiceRefusedInput): string {
  const { invoice, language } = input;
  const t = invoiceStringsFor(language);
  const body = html`
    <h1 class="fail" data-test="invoice-refused" data-reason="${input.reason}">${t.refusedTitle}</h1>
    <p class="reason" data-test="reason">${t[input.reason]}</p>
    <p class="muted">${t.contact}</p>
    <dl><dt>${t.payTo}</dt><dd data-test="merchant">${input.organisationName}</dd></dl>
    <div class="amount">${formatAmount(Number(invoice.amount_minor))} <span class="muted">${invoice.currency}</span></div>
    ${smallPrint(invoice, t)}`;
  return page({ language, theme: input.theme, title: t.refusedTitle, body, switchHref: `?lang=${language === 'en' ? 'zh' : 'en'}`, switchLabel: t.language });
}

function methodButton(method: PaymentMethod, t: InvoiceStrings): RawHtml {
  const name = t.methods[method];
  const drawn = method === 'alipay' || method === 'wechat';
  return html`<button class="button ${drawn ? method : 'neutral'} method-choice" type="submit" name="method" value="${method}" data-test="pay-${method}">${drawn ? methodLogo(method) : raw('')}<span>${t.payWith.replace('{method}', name)}</span></button>`;
}

function details(invoice: InvoiceSummary, t: InvoiceStrings): RawHtml {
  const product = invoice.product_name ? html`<dt>${t.product}</dt><dd data-test="product">${invoice.product_name}</dd>` : raw('');
  const reference = invoice.customer_reference ? html`<dt>${t.reference}</dt><dd data-test="customer-reference">${invoice.customer_reference}</dd>` : raw('');
  return product.value || reference.value ? html`<dl>${product}${reference}</dl>` : raw('');
}

function smallPrint(invoice: InvoiceSummary, t: InvoiceStrings): RawHtml {
  return html`<p class="small" data-test="reference">${t.invoiceNo} ${invoice.invoice_id}${invoice.customer_order_id ? ` · ${invoice.customer_order_id}` : ''}</p>`;
}
