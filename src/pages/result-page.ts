import type { OrderRecord } from '../store/orders.js';
import type { Language } from './i18n.js';
import { stringsFor } from './i18n.js';
import { html, page, raw } from './layout.js';
import { amountHtml, detailsHtml, isBankMethod, methodOf, referenceHtml } from './order-summary.js';
import type { Theme } from './theme.js';

/** How a payment ended, as the customer is told: `expired` is a pending order whose time ran out (or the failure the sweep made of it). */
export type Outcome = 'paid' | 'failed' | 'canceled' | 'rejected' | 'expired';

/**
 * The outcome of a final order, or of one past its expiry. A failed order is told as
 * expired when it failed at or after its expiry (the sweep), as declined when before.
 */
export function outcomeOf(order: Pick<OrderRecord, 'status' | 'expires_at' | 'updated_at'>, expired: boolean): Outcome {
  switch (order.status) {
    case 'paid':
    case 'canceled':
    case 'rejected':
      return order.status;
    case 'failed':
      return Number(order.updated_at) >= Number(order.expires_at) ? 'expired' : 'failed';
    default:
      return expired ? 'expired' : 'failed';
  }
}

export interface ResultPageInput {
  order: OrderRecord;
  organisationName: string;
  language: Language;
  theme: Theme;
  outcome: Outcome;
  /** Paid: where the page goes by itself after a moment (`/pay/{nonce}` redirects to the signed return_url). */
  continueHref: string | undefined;
  /** Not paid: the way back to the merchant, the signed return_url redirect, else backPage_url. */
  returnHref: string | undefined;
  /** The response's Content-Security-Policy script nonce. */
  scriptNonce: string;
}

/**
 * The page after the payment. Paid: shown for a moment, then on to the merchant's return_url.
 * Not paid: the failure page, which stays: why, in words, and one way back to the merchant
 * (the signed return_url, which tells the shop the outcome; else backPage_url).
 */
export function renderResultPage(input: ResultPageInput): string {
  const { order, outcome } = input;
  const t = stringsFor(input.language);
  const switchHref = `?lang=${input.language === 'en' ? 'zh' : 'en'}`;
  const payTo = html`<dt>${t.payTo}</dt><dd data-test="merchant">${input.organisationName}</dd>`;

  if (outcome === 'paid') {
    const body = html`
      <h1 class="ok" data-test="result" data-status="${order.status}" data-outcome="paid">${t.paidTitle}</h1>
      ${amountHtml(order, t)}
      ${detailsHtml(order, t, payTo)}
      ${input.continueHref ? html`<p class="muted">${t.redirecting}</p><a class="button neutral" data-test="continue" href="${input.continueHref}">${t.continue}</a>` : raw('')}
      ${order.backpage_url ? html`<footer><a href="${order.backpage_url}" data-test="back">${t.back}</a></footer>` : raw('')}
      ${referenceHtml(order, t)}`;
    return page({
      language: input.language,
      theme: input.theme,
      title: t.paidTitle,
      body,
      switchHref,
      switchLabel: t.language,
      script: input.continueHref
        ? { source: `setTimeout(function(){location.replace(${JSON.stringify(input.continueHref)})},2500);`, nonce: input.scriptNonce }
        : undefined,
    });
  }

  const [title, reason] = {
    failed: [t.failedTitle, t.reasonFailed],
    // A bank's Cancel ends the order too: for those methods the page cannot tell who cancelled.
    canceled: [t.canceledTitle, isBankMethod(methodOf(order)) ? t.reasonCanceledByPayer : t.reasonCanceled],
    rejected: [t.rejectedTitle, t.reasonRejected],
    expired: [t.expiredTitle, t.reasonExpired],
  }[outcome];
  const merchant = input.organisationName.trim();
  const body = html`
    <h1 class="fail" data-test="result" data-status="${order.status}" data-outcome="${outcome}">${title}</h1>
    <p class="reason" data-test="reason">${reason}</p>
    ${amountHtml(order, t)}
    ${detailsHtml(order, t, payTo)}
    ${input.returnHref
      ? html`<a class="button primary" data-test="return" href="${input.returnHref}">${merchant ? t.returnTo.replace('{merchant}', merchant) : t.back}</a>`
      : html`<p class="muted" data-test="close">${t.closePage}</p>`}
    ${referenceHtml(order, t)}`;
  return page({ language: input.language, theme: input.theme, title, body, switchHref, switchLabel: t.language });
}
