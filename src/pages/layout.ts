import type { Language } from './i18n.js';
import type { Palette, Theme } from './theme.js';

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

/**
 * The pages' one stylesheet, inline (no request of its own, nothing to cache wrongly) and
 * allowed by its hash, which theme.ts computes once per configuration: the operator's colour
 * is part of it, so no element needs a style attribute (the CSP forbids them). No CSS
 * variables: the in-app browsers of older phones lack them.
 */
export function pageStyle(p: Palette): string {
  return `
*{box-sizing:border-box}body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Microsoft YaHei",Roboto,sans-serif;background:#f3f5f8;color:#1d2330}
main{max-width:440px;margin:32px auto;background:#fff;border-radius:14px;border-top:4px solid ${p.accent};box-shadow:0 4px 24px rgba(20,30,60,.08);padding:22px 28px 22px}
header{display:flex;justify-content:space-between;align-items:center;gap:12px;margin-bottom:14px;min-height:28px}
.brand{display:flex;align-items:center;gap:8px;font-weight:700;color:${p.accentText};letter-spacing:.3px;min-width:0}.brand img{height:28px;width:auto;max-width:140px}
.lang a{color:#5b6575;font-size:14px;text-decoration:none}a{color:${p.accentText}}
a:focus-visible,button:focus-visible{outline:3px solid ${p.accentText};outline-offset:2px}
h1{font-size:20px;margin:2px 0 12px}.amount{font-size:34px;font-weight:700;margin:4px 0 2px}.muted{color:#5b6575;font-size:14px}
.label{color:#5b6575;font-size:14px;margin:0}.cny{font-size:15px;color:#3d4655;margin:2px 0 0}
dl{display:grid;grid-template-columns:auto 1fr;gap:6px 14px;margin:14px 0;font-size:15px}dt{color:#5b6575}dd{margin:0;word-break:break-word}
.method{display:flex;align-items:center;gap:8px}.method svg{width:22px;height:22px;flex:none}
.qr{display:flex;justify-content:center;margin:16px 0}.qr svg{width:240px;height:240px}
.status{text-align:center;font-size:15px;margin:10px 0}.countdown{text-align:center;color:#5b6575;font-size:14px}
.button{display:block;width:100%;text-align:center;padding:14px;border-radius:10px;border:0;font-size:17px;font-weight:600;cursor:pointer;text-decoration:none;margin:10px 0}
.alipay{background:#1677ff;color:#fff}.wechat{background:#07c160;color:#fff}
.onlineBank,.polipay,.bank{background:#1d3a6b;color:#fff}.upi_upop{background:#0b4ea2;color:#fff}.payid{background:#111;color:#fff}
.instructions{background:#f3f5f8;border-radius:10px;padding:12px 14px}.strong{font-weight:700;font-size:17px}
.steps{font-size:14px;color:#3d4655;padding-left:20px;margin:10px 0}.steps li{margin:4px 0}
.banks{display:grid;grid-template-columns:1fr 1fr;gap:10px;margin:14px 0}.banks a{display:flex;align-items:center;gap:10px;padding:12px;border:1px solid #d8dee8;border-radius:10px;text-decoration:none;color:#1d2330;font-weight:600}
.tile{width:28px;height:28px;flex:none}.field{display:block;width:100%;padding:10px 12px;border:1px solid #c5ccd8;border-radius:8px;font-size:16px;margin:4px 0 6px}
.outcome-canceled{background:#e8ecf2;color:#1d2330}.outcome-rejected{background:#fbe3e3;color:#a31515}.neutral{background:#e8ecf2;color:#1d2330}.danger{background:#fbe3e3;color:#a31515}
.primary{background:${p.accent};color:${p.onAccent}}.outline{background:#fff;color:${p.accentText};border:2px solid ${p.accentText};padding:12px}
.hint{text-align:center;color:#5b6575;font-size:13px;margin:0 0 10px}
.method-choice{display:flex;align-items:center;justify-content:center;gap:10px}.method-choice svg{width:24px;height:24px;flex:none}
.notice{background:#fff7e0;border-radius:8px;padding:10px 12px;font-size:14px;margin:10px 0}
.outcome{border-radius:8px;padding:12px 14px;font-size:16px;font-weight:600;margin:12px 0}
.outcome-paid{background:#e3f5e9;color:#0a5c25}.outcome-declined{background:#fbe3e3;color:#a31515}.outcome-closed{background:#e8ecf2;color:#1d2330}
.ok{color:#0a7d32}.fail{color:#a31515}.reason{font-size:16px;margin:0 0 12px}footer{margin-top:16px;text-align:center}footer a{font-size:14px}
.small{color:#5b6575;font-size:12px;text-align:center;margin:14px 0 0;word-break:break-all}
.sandbox{background:#ffefc2;text-align:center;font-size:13px;padding:6px;border-radius:8px;margin-bottom:12px}
@media (max-width:480px){main{margin:0;border-radius:0;min-height:100vh;box-shadow:none;padding:18px 18px 22px}}
`;
}

/**
 * A whole page. Its inline script runs only with the Content-Security-Policy nonce of the
 * response it is sent in (reply.cspNonce.script); its style is the theme's, allowed by hash.
 * The header shows the operator's brand unless `brand` is false (the sandbox wallet stands
 * for the wallet app, not for the operator).
 */
export function page(options: {
  language: Language;
  theme: Theme;
  title: string;
  body: RawHtml;
  brand?: boolean;
  script?: { source: string; nonce: string };
  switchHref?: string;
  switchLabel?: string;
}): string {
  const { theme } = options;
  const brand =
    options.brand === false
      ? html`<span></span>`
      : html`<span class="brand" data-test="brand">${theme.logoHref ? html`<img src="${theme.logoHref}" alt="" data-test="brand-logo">` : raw('')}<span data-test="brand-name">${theme.brandName}</span></span>`;
  const lang = options.switchHref ? html`<span class="lang"><a href="${options.switchHref}" data-test="lang-switch">${options.switchLabel}</a></span>` : raw('');
  const title = options.brand === false ? options.title : `${options.title} · ${theme.brandName}`;
  return (
    '<!doctype html>' +
    html`<html lang="${options.language === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${title}</title><style>${raw(theme.style)}</style></head><body><main><header>${brand}${lang}</header>${options.body}</main>${options.script ? html`<script nonce="${options.script.nonce}">${raw(options.script.source)}</script>` : raw('')}</body></html>`.value
  );
}
