import { PAYID_REFERENCE_MAX } from '../channels/sandbox/sandbox-methods.js';
import { formatAmount } from '../domain/money.js';
import type { SandboxTradeRecord } from '../store/sandbox-trades.js';
import type { Language } from './i18n.js';
import { stringsFor } from './i18n.js';
import { html, raw } from './layout.js';
import { methodLogo } from './method-logo.js';
import { backLink, endedNote, sandboxPage } from './sandbox-bank-page.js';
import type { Theme } from './theme.js';

export interface SandboxPayIdPageInput {
  trade: SandboxTradeRecord;
  /** What the payment page told the payer (the PayID and the reference), from the sandbox provider. */
  payId: string;
  reference: string;
  language: Language;
  theme: Theme;
  /** What the tester just did here, for an order with no page to go back to. */
  message?: 'paid' | 'rejected' | 'settled';
  backHref: string | undefined;
}

/**
 * The sandbox's stand-in for the payer's banking app paying a PayID: the PayID and amount
 * filled in, a reference the tester may change (a prohibited word gets the payment
 * rejected, as a receiving bank's screening would), and a way to have it rejected outright.
 */
export function renderSandboxPayIdPage(input: SandboxPayIdPageInput): string {
  const { trade, language, message } = input;
  const t = stringsFor(language);
  const open = trade.status === 'WAIT_BUYER_PAY';
  const note =
    message === 'paid'
      ? html`<p class="outcome outcome-paid" role="status" data-test="payer-result" data-outcome="paid">${t.sandboxSent}</p>`
      : message === 'rejected'
        ? html`<p class="outcome outcome-rejected" role="status" data-test="payer-result" data-outcome="rejected">${t.sandboxRejected}</p>`
        : open
          ? raw('')
          : endedNote(trade, t);
  const body = html`
    <div class="sandbox">${t.sandboxBanner}</div>
    <h1 class="method" data-test="payer-brand">${methodLogo('payid')}<span>${t.sandboxPayIdApp}</span></h1>
    <p class="label">${t.sandboxPayTo}</p>
    <p class="strong" data-test="payer-payid">${input.payId}</p>
    <div class="amount" data-test="payer-amount">${formatAmount(Number(trade.amount_minor))} <span class="muted">${trade.currency}</span></div>
    <dl><dt>${t.product}</dt><dd>${trade.subject}</dd><dt>${t.tradeNo}</dt><dd class="muted" data-test="trade-no">${trade.trade_no}</dd></dl>
    ${note}
    ${open
      ? html`<form method="post" action="/sandbox/payid/${trade.trade_no}?lang=${language}">
          <label class="label" for="reference">${t.payIdReference}</label>
          <input class="field" id="reference" name="reference" value="${input.reference}" maxlength="${PAYID_REFERENCE_MAX}" autocomplete="off" data-test="payer-reference">
          <p class="hint">${t.sandboxReferenceHint}</p>
          <button class="button payid" name="outcome" value="paid" data-test="send">${t.sandboxSend}</button>
          <button class="button danger" name="outcome" value="rejected" data-test="reject">${t.sandboxReject}</button>
        </form>`
      : raw('')}
    ${backLink(input.backHref, open, t)}`;
  return sandboxPage(language, input.theme, t.sandboxPayIdApp, body);
}
