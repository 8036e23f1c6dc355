import { html, raw, type RawHtml } from './layout.js';
import type { PageMethod } from './order-summary.js';

/**
 * The payment method's mark, drawn here (no third-party file): Alipay's blue tile with a
 * stroked 支, WeChat Pay's green tile with two chat bubbles; plain marks of our own for the
 * bank methods (a bank, POLi's name, PayID's "ID", UnionPay's three bands). Decorative: the
 * method's name is always written beside it, so screen readers skip the drawing.
 * Presentation attributes, not style attributes, so the Content-Security-Policy has nothing to allow.
 */
export function methodLogo(method: PageMethod): RawHtml {
  return { alipay: ALIPAY, wechat: WECHAT, onlineBank: BANK, polipay: POLI, payid: PAYID, upi_upop: UNIONPAY }[method];
}

/** A bank's tile on the sandbox's bank list: its initials on its colour (a hex colour, from our own list). */
export function bankTile(name: string, color: string): RawHtml {
  const initials = name.replace(/[^A-Za-z ]/g, '').split(' ').filter(Boolean).map((w) => w[0]).join('').slice(0, 3).toUpperCase();
  return html`<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false" class="tile"><rect width="24" height="24" rx="5" fill="${color}"/><text x="12" y="15.5" text-anchor="middle" font-size="${initials.length > 2 ? 7 : 9}" font-weight="700" font-family="sans-serif" fill="#fff">${initials}</text></svg>`;
}

const BANK = raw(
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false" data-test="method-logo" data-method="onlineBank">' +
    '<rect width="24" height="24" rx="5" fill="#1d3a6b"/>' +
    '<path d="M5 9.5 12 5.5l7 4M6 18.5h12M7.5 10.5v6M10.5 10.5v6M13.5 10.5v6M16.5 10.5v6" fill="none" stroke="#fff" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round"/>' +
    '</svg>',
);

const POLI = raw(
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false" data-test="method-logo" data-method="polipay">' +
    '<rect width="24" height="24" rx="5" fill="#27313f"/>' +
    '<text x="12" y="15.2" text-anchor="middle" font-size="8" font-weight="700" font-family="sans-serif" fill="#fff">POLi</text>' +
    '</svg>',
);

const PAYID = raw(
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false" data-test="method-logo" data-method="payid">' +
    '<rect width="24" height="24" rx="5" fill="#111"/>' +
    '<rect x="5" y="6.5" width="14" height="11" rx="2.5" fill="none" stroke="#fff" stroke-width="1.4"/>' +
    '<text x="12" y="14.8" text-anchor="middle" font-size="6.5" font-weight="700" font-family="sans-serif" fill="#fff">ID</text>' +
    '</svg>',
);

const UNIONPAY = raw(
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false" data-test="method-logo" data-method="upi_upop">' +
    '<rect width="24" height="24" rx="5" fill="#fff" stroke="#d8dee8"/>' +
    '<path d="M6.5 5h4l-3 14h-4z" fill="#d7261e"/><path d="M11 5h4l-3 14H8z" fill="#0b4ea2"/><path d="M15.5 5h4l-3 14h-4z" fill="#0a8a5f"/>' +
    '</svg>',
);

const ALIPAY = raw(
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false" data-test="method-logo" data-method="alipay">' +
    '<rect width="24" height="24" rx="5" fill="#1677ff"/>' +
    '<path d="M6 7.2h12M12 4.2v7M6.8 11.2h10.4c-1.6 4.1-4.9 6.7-10 8.6M9.2 14.2c2.8 1.6 5.6 3.3 9 5" fill="none" stroke="#fff" stroke-width="1.9" stroke-linecap="round" stroke-linejoin="round"/>' +
    '</svg>',
);

const WECHAT = raw(
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false" data-test="method-logo" data-method="wechat">' +
    '<rect width="24" height="24" rx="5" fill="#07c160"/>' +
    '<ellipse cx="9.8" cy="10" rx="5.6" ry="4.6" fill="#fff"/><path d="M6.2 13.6 5.6 16.4l3-1.7z" fill="#fff"/>' +
    '<ellipse cx="15.2" cy="14.2" rx="4.8" ry="3.9" fill="#fff" stroke="#07c160" stroke-width="1.1"/><path d="M17.8 17.4l.7 2-2.4-1.2z" fill="#fff"/>' +
    '<circle cx="7.9" cy="9.2" r=".85" fill="#07c160"/><circle cx="11.7" cy="9.2" r=".85" fill="#07c160"/>' +
    '<circle cx="13.6" cy="13.6" r=".65" fill="#07c160"/><circle cx="16.8" cy="13.6" r=".65" fill="#07c160"/>' +
    '</svg>',
);
