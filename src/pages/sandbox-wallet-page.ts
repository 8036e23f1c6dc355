import { formatAmount } from '../domain/money.js';
import type { SandboxTradeRecord } from '../store/sandbox-trades.js';
import type { Language } from './i18n.js';
import { stringsFor } from './i18n.js';
import { html, page, raw } from './layout.js';

/**
 * The "sandbox Alipay / WeChat" app screen that the QR opens: a tester confirms or
 * declines the payment, as a customer would in the wallet app.
 */
export function renderSandboxWalletPage(trade: SandboxTradeRecord, language: Language, message?: 'paid' | 'failed' | 'settled'): string {
  const t = stringsFor(language);
  const method = trade.method === 'wechat' ? 'wechat' : 'alipay';
  const brand = `Sandbox ${method === 'wechat' ? t.wechat : t.alipay}`;
  const open = trade.status === 'WAIT_BUYER_PAY';
  const note =
    message === 'paid' ? t.sandboxPaid : message === 'failed' ? t.sandboxDeclined : !open ? t.sandboxAlreadySettled : undefined;
  const body = html`
    <div class="sandbox">${t.sandboxBanner}</div>
    <h1 data-test="wallet-brand">${brand}</h1>
    <div class="amount" data-test="wallet-amount">${formatAmount(Number(trade.amount_minor))} <span class="muted">${trade.currency}</span></div>
    <dl><dt>${t.product}</dt><dd>${trade.subject}</dd><dt>Trade</dt><dd class="muted">${trade.trade_no}</dd></dl>
    ${note ? html`<p class="notice" data-test="wallet-result" data-status="${trade.status}">${note}</p>` : raw('')}
    ${open
      ? html`<form method="post" action="/sandbox/wallet/${trade.trade_no}?lang=${language}">
          <button class="button ${method}" name="outcome" value="paid" data-test="confirm">${t.sandboxConfirm}</button>
          <button class="button danger" name="outcome" value="failed" data-test="decline">${t.sandboxDecline}</button>
        </form>`
      : raw('')}`;
  return page({ language, title: brand, body });
}
