import { raw, type RawHtml } from './layout.js';

/**
 * The payment method's mark, drawn here (no third-party file): Alipay's blue tile with a
 * stroked 支, WeChat Pay's green tile with two chat bubbles. Decorative: the method's name
 * is always written beside it, so screen readers skip the drawing. Presentation attributes,
 * not style attributes, so the Content-Security-Policy has nothing to allow.
 */
export function methodLogo(method: 'alipay' | 'wechat'): RawHtml {
  return method === 'wechat' ? WECHAT : ALIPAY;
}

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
