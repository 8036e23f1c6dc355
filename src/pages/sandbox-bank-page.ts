import type { SandboxBank } from '../channels/sandbox/sandbox-methods.js';
import { SANDBOX_UNIONPAY_CARD } from '../channels/sandbox/sandbox-methods.js';
import { formatAmount } from '../domain/money.js';
import type { SandboxTradeRecord } from '../store/sandbox-trades.js';
import type { Language, Strings } from './i18n.js';
import { stringsFor } from './i18n.js';
import { html, page, raw, type RawHtml } from './layout.js';
import { bankTile, methodLogo } from './method-logo.js';
import { methodOf } from './order-summary.js';
import type { Theme } from './theme.js';

interface SandboxBankPageCommon {
  trade: SandboxTradeRecord;
  language: Language;
  theme: Theme;
  /**
   * Back to the order's payment page (its result step, which moves on to the merchant's
   * return_url); undefined for an order whose nonce must not reach a browser (host_type=1).
   */
  backHref: string | undefined;
}

/**
 * The sandbox's stand-in for the bank list an NZ banks or POLi payer picks from (POLi's own
 * first step): each bank leads to its sandbox internet-banking page.
 */
export function renderSandboxBankListPage(input: SandboxBankPageCommon & { banks: readonly SandboxBank[] }): string {
  const { trade, language } = input;
  const t = stringsFor(language);
  const title = trade.method === 'polipay' ? t.sandboxPoli : t.sandboxBanking;
  const open = trade.status === 'WAIT_BUYER_PAY';
  const body = html`
    <div class="sandbox">${t.sandboxBanner}</div>
    <h1 class="method" data-test="bank-brand">${methodLogo(methodOf({ payment_method: trade.method }))}<span>${title}</span></h1>
    ${amountOf(trade)}
    <dl><dt>${t.product}</dt><dd>${trade.subject}</dd></dl>
    ${open
      ? html`<p class="label">${t.sandboxChooseBank}</p>
        <div class="banks" data-test="banks">${input.banks.map(
          (bank) => html`<a href="/sandbox/bank/${trade.trade_no}/${bank.id}?lang=${language}" data-test="bank-${bank.id}">${bankTile(bank.name, bank.color)}<span>${bank.name}</span></a>`,
        )}</div>`
      : endedNote(trade, t)}
    ${backLink(input.backHref, open, t)}`;
  return sandboxPage(language, input.theme, title, body);
}

/**
 * One bank's sandbox internet banking (or UnionPay's card page): the tester approves,
 * declines or cancels the payment, as the payer would at their bank.
 */
export function renderSandboxBankPage(input: SandboxBankPageCommon & { bank: SandboxBank; message?: 'paid' | 'failed' | 'canceled' | 'settled' }): string {
  const { trade, language, bank, message } = input;
  const t = stringsFor(language);
  const unionPay = trade.method === 'upi_upop';
  const title = unionPay ? t.sandboxUnionPay : t.sandboxBankLogin.replace('{bank}', bank.name);
  const open = trade.status === 'WAIT_BUYER_PAY';
  const action = unionPay ? `/sandbox/unionpay/${trade.trade_no}` : `/sandbox/bank/${trade.trade_no}/${bank.id}`;
  const note =
    message === 'paid'
      ? html`<p class="outcome outcome-paid" role="status" data-test="bank-result" data-outcome="paid">${t.sandboxPaid}</p>`
      : message === 'failed'
        ? html`<p class="outcome outcome-declined" role="status" data-test="bank-result" data-outcome="declined">${t.sandboxDeclined}</p>`
        : message === 'canceled'
          ? html`<p class="outcome outcome-canceled" role="status" data-test="bank-result" data-outcome="canceled">${t.sandboxCanceled}</p>`
          : open
            ? raw('')
            : endedNote(trade, t);
  const body = html`
    <div class="sandbox">${t.sandboxBanner}</div>
    <h1 class="method" data-test="bank-brand">${unionPay ? methodLogo('upi_upop') : bankTile(bank.name, bank.color)}<span>${title}</span></h1>
    ${amountOf(trade)}
    <dl><dt>${t.product}</dt><dd>${trade.subject}</dd>${unionPay ? html`<dt>${t.sandboxCard}</dt><dd data-test="card">${SANDBOX_UNIONPAY_CARD}</dd>` : raw('')}<dt>${t.tradeNo}</dt><dd class="muted" data-test="trade-no">${trade.trade_no}</dd></dl>
    ${note}
    ${open
      ? html`<p class="muted">${t.sandboxBankNote}</p>
        <form method="post" action="${action}?lang=${language}">
          <button class="button bank" name="outcome" value="paid" data-test="approve">${t.sandboxConfirm}</button>
          <button class="button danger" name="outcome" value="failed" data-test="decline">${t.sandboxDecline}</button>
          <button class="button neutral" name="outcome" value="canceled" data-test="cancel">${t.sandboxCancel}</button>
        </form>`
      : raw('')}
    ${backLink(input.backHref, open, t)}`;
  return sandboxPage(language, input.theme, title, body);
}

function amountOf(trade: SandboxTradeRecord): RawHtml {
  return html`<div class="amount" data-test="bank-amount">${formatAmount(Number(trade.amount_minor))} <span class="muted">${trade.currency}</span></div>`;
}

/** A trade that can no longer be paid here: paid, or ended another way. */
export function endedNote(trade: Pick<SandboxTradeRecord, 'status'>, t: Strings): RawHtml {
  return trade.status === 'TRADE_SUCCESS'
    ? html`<p class="outcome outcome-paid" role="status" data-test="trade-ended" data-status="${trade.status}">${t.sandboxAlreadyPaid}</p>`
    : html`<p class="outcome outcome-closed" role="status" data-test="trade-ended" data-status="${trade.status}">${t.sandboxAlreadyClosed}</p>`;
}

/** Back to the payment page: a quiet link while the trade is open, the main button once it has ended. */
export function backLink(href: string | undefined, open: boolean, t: Strings): RawHtml {
  if (!href) return raw('');
  return open
    ? html`<footer><a href="${href}" data-test="bank-back">${t.sandboxBackToPayment}</a></footer>`
    : html`<a class="button primary" href="${href}" data-test="bank-back">${t.sandboxBackToPayment}</a>`;
}

/** The sandbox's pages stand for the payer's bank, not for the operator: no brand in the header. */
export function sandboxPage(language: Language, theme: Theme, title: string, body: RawHtml): string {
  return page({ language, theme, title, body, brand: false, switchHref: `?lang=${language === 'en' ? 'zh' : 'en'}`, switchLabel: stringsFor(language).language });
}
