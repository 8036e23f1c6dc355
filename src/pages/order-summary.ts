import { formatAmount } from '../domain/money.js';
import type { OrderRecord } from '../store/orders.js';
import type { Strings } from './i18n.js';
import { html, raw, type RawHtml } from './layout.js';
import { methodLogo } from './method-logo.js';

/** What the pages show of an order: the payment page, the result and the failure page alike. */
type Order = Pick<
  OrderRecord,
  'order_id' | 'merchant_reference' | 'amount_minor' | 'currency' | 'amount_cny_minor' | 'currency_rate' | 'payment_method' | 'product_name'
>;

/** The methods the pages draw (those a provider here serves). */
export type PageMethod = 'alipay' | 'wechat' | 'onlineBank' | 'polipay' | 'payid' | 'upi_upop';
const PAGE_METHODS: readonly string[] = ['alipay', 'wechat', 'onlineBank', 'polipay', 'payid', 'upi_upop'] satisfies PageMethod[];

/** The order's method as the pages draw it (a method no page knows is drawn as Alipay, as before). */
export function methodOf(order: Pick<OrderRecord, 'payment_method'>): PageMethod {
  return PAGE_METHODS.includes(order.payment_method) ? (order.payment_method as PageMethod) : 'alipay';
}

export function methodName(method: PageMethod, t: Strings): string {
  return { alipay: t.alipay, wechat: t.wechat, onlineBank: t.onlineBank, polipay: t.polipay, payid: t.payid, upi_upop: t.upiUpop }[method];
}

/** The methods whose payer leaves for a bank's (or UnionPay's) page and comes back to the result. */
export function isBankMethod(method: PageMethod): method is 'onlineBank' | 'polipay' | 'upi_upop' {
  return method === 'onlineBank' || method === 'polipay' || method === 'upi_upop';
}

/** Methods whose payer pays in the order's own currency from a NZ or Australian bank: no CNY to show. */
const LOCAL_METHODS: readonly string[] = ['onlineBank', 'polipay', 'payid'];

/**
 * The amount in the wallet's currency and, when the order recorded a CNY conversion at
 * creation, the CNY amount and its rate (what the customer's Alipay, WeChat or UnionPay
 * shows them); not for a payer paying from a local bank account.
 */
export function amountHtml(order: Order, t: Strings): RawHtml {
  const cny =
    order.amount_cny_minor !== null && order.currency_rate !== null && order.currency !== 'CNY' && !LOCAL_METHODS.includes(order.payment_method)
      ? html`<p class="cny" data-test="amount-cny">${t.cnyAmount.replace('{amount}', formatAmount(Number(order.amount_cny_minor)))} <span class="muted" data-test="rate">(${t.cnyRate.replace('{currency}', order.currency).replace('{rate}', order.currency_rate)})</span></p>`
      : raw('');
  return html`<div class="amount" data-test="amount">${formatAmount(Number(order.amount_minor))} <span class="muted">${order.currency}</span></div>${cny}`;
}

/** Product and payment method (its mark and its name). */
export function detailsHtml(order: Order, t: Strings, extra: RawHtml = raw('')): RawHtml {
  const method = methodOf(order);
  return html`<dl>${extra}<dt>${t.product}</dt><dd data-test="product">${order.product_name}</dd><dt>${t.payWith}</dt><dd class="method" data-test="method">${methodLogo(method)}<span>${methodName(method, t)}</span></dd></dl>`;
}

/** The merchant's reference and our order number, in small print (what a support request quotes). */
export function referenceHtml(order: Order, t: Strings): RawHtml {
  return html`<p class="small" data-test="reference">${t.reference} ${order.merchant_reference} · ${t.orderNo} ${order.order_id}</p>`;
}
