import { formatAmount } from '../domain/money.js';
import type { SandboxTradeRecord } from '../store/sandbox-trades.js';
import type { Language } from './i18n.js';
import { stringsFor } from './i18n.js';
import { html, page, raw } from './layout.js';
import { methodLogo } from './method-logo.js';
import type { Theme } from './theme.js';

export interface SandboxWalletPageInput {
  trade: SandboxTradeRecord;
  language: Language;
  theme: Theme;
  /** What the tester just did here: confirmed, declined, or tried to settle a trade already settled. */
  message?: 'paid' | 'failed' | 'settled';
  /**
   * Back to the order's payment page (its result step, which moves on to the merchant's
   * return_url); undefined for an order without a hosted page (host_type=1), whose nonce
   * must not leave the merchant's server.
   */
  backHref: string | undefined;
}

/**
 * The "sandbox Alipay / WeChat" app screen that the QR (or the payment page's "Open test
 * wallet") opens: a tester confirms or declines the payment, as a customer would in the
 * wallet app, and then goes back to the payment page.
 */
export function renderSandboxWalletPage(input: SandboxWalletPageInput): string {
  const { trade, language, message } = input;
  const t = stringsFor(language);
  const method = trade.method === 'wechat' ? 'wechat' : 'alipay';
  const title = t.sandboxWallet.replace('{method}', method === 'wechat' ? t.wechat : t.alipay);
  const open = trade.status === 'WAIT_BUYER_PAY';
  const [outcome, note] =
    message === 'paid'
      ? ['paid', t.sandboxPaid]
      : message === 'failed'
        ? ['declined', t.sandboxDeclined]
        : open
          ? [undefined, undefined]
          : trade.status === 'TRADE_SUCCESS'
            ? ['paid', t.sandboxAlreadyPaid]
            : ['closed', t.sandboxAlreadyClosed];
  const back = input.backHref
    ? open
      ? html`<footer><a href="${input.backHref}" data-test="wallet-back">${t.sandboxBackToPayment}</a></footer>`
      : html`<a class="button primary" href="${input.backHref}" data-test="wallet-back">${t.sandboxBackToPayment}</a>`
    : raw('');
  const body = html`
    <div class="sandbox">${t.sandboxBanner}</div>
    <h1 class="method" data-test="wallet-brand">${methodLogo(method)}<span>${title}</span></h1>
    <div class="amount" data-test="wallet-amount">${formatAmount(Number(trade.amount_minor))} <span class="muted">${trade.currency}</span></div>
    <dl><dt>${t.product}</dt><dd>${trade.subject}</dd><dt>${t.tradeNo}</dt><dd class="muted" data-test="trade-no">${trade.trade_no}</dd></dl>
    ${note ? html`<p class="outcome outcome-${outcome}" role="status" data-test="wallet-result" data-status="${trade.status}" data-outcome="${outcome}">${note}</p>` : raw('')}
    ${open
      ? html`<form method="post" action="/sandbox/wallet/${trade.trade_no}?lang=${language}">
          <button class="button ${method}" name="outcome" value="paid" data-test="confirm">${t.sandboxConfirm}</button>
          <button class="button danger" name="outcome" value="failed" data-test="decline">${t.sandboxDecline}</button>
        </form>`
      : raw('')}
    ${back}`;
  return page({
    language,
    theme: input.theme,
    title,
    body,
    brand: false,
    switchHref: `?lang=${language === 'en' ? 'zh' : 'en'}`,
    switchLabel: t.language,
  });
}
