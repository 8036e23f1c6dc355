import { createHash } from 'node:crypto';
import type { Language } from './i18n.js';

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Tagged template that escapes every interpolated value unless it is marked `raw`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): RawHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    out += (v instanceof RawHtml ? v.value : Array.isArray(v) ? v.map((x) => (x instanceof RawHtml ? x.value : escapeHtml(String(x)))).join('') : v === undefined || v === null || v === false ? '' : escapeHtml(String(v))) + strings[i + 1];
  }
  return new RawHtml(out);
}

export class RawHtml {
  constructor(readonly value: string) {}
}

export function raw(value: string): RawHtml {
  return new RawHtml(value);
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Microsoft YaHei",Roboto,sans-serif;background:#f3f5f8;color:#1d2330}
main{max-width:440px;margin:32px auto;background:#fff;border-radius:14px;box-shadow:0 4px 24px rgba(20,30,60,.08);padding:28px 28px 22px}
header{display:flex;justify-content:space-between;align-items:center;margin-bottom:14px}
.brand{font-weight:700;color:#0a66c2;letter-spacing:.3px}.lang a{color:#5b6575;font-size:14px;text-decoration:none}
h1{font-size:20px;margin:6px 0 14px}.amount{font-size:34px;font-weight:700;margin:4px 0 2px}.muted{color:#5b6575;font-size:14px}
dl{display:grid;grid-template-columns:auto 1fr;gap:6px 14px;margin:14px 0;font-size:15px}dt{color:#5b6575}dd{margin:0;word-break:break-word}
.qr{display:flex;justify-content:center;margin:16px 0}.qr svg{width:240px;height:240px}
.status{text-align:center;font-size:15px;margin:10px 0}.countdown{text-align:center;color:#5b6575;font-size:14px}
.button{display:block;width:100%;text-align:center;padding:14px;border-radius:10px;border:0;font-size:17px;font-weight:600;cursor:pointer;text-decoration:none;margin:10px 0}
.alipay{background:#1677ff;color:#fff}.wechat{background:#07c160;color:#fff}.neutral{background:#e8ecf2;color:#1d2330}.danger{background:#fbe3e3;color:#a31515}
.notice{background:#fff7e0;border-radius:8px;padding:10px 12px;font-size:14px;margin:10px 0}
.ok{color:#0a7d32}.fail{color:#a31515}footer{margin-top:16px;text-align:center}footer a{color:#0a66c2;font-size:14px}
.sandbox{background:#ffefc2;text-align:center;font-size:13px;padding:6px;border-radius:8px;margin-bottom:12px}
@media (max-width:480px){main{margin:0;border-radius:0;min-height:100vh;box-shadow:none}}
`;

/**
 * The CSP source that allows the pages' one inline `<style>` (its SHA-256): styles need no
 * nonce, so a page answered without one (a 404 for an unknown path) is styled too.
 */
export const STYLE_SOURCE = `'sha256-${createHash('sha256').update(STYLE, 'utf8').digest('base64')}'`;

/**
 * A whole page. Its inline script runs only with the Content-Security-Policy nonce of the
 * response it is sent in (reply.cspNonce.script).
 */
export function page(options: {
  language: Language;
  title: string;
  body: RawHtml;
  script?: { source: string; nonce: string };
  switchHref?: string;
  switchLabel?: string;
}): string {
  return (
    '<!doctype html>' +
    html`<html lang="${options.language === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${options.title}</title><style>${raw(STYLE)}</style></head><body><main>${options.switchHref ? html`<header><span class="brand">Latipay</span><span class="lang"><a href="${options.switchHref}" data-test="lang-switch">${options.switchLabel}</a></span></header>` : raw('')}${options.body}</main>${options.script ? html`<script nonce="${options.script.nonce}">${raw(options.script.source)}</script>` : raw('')}</body></html>`.value
  );
}
