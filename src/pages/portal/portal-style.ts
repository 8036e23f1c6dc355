import { createHash } from 'node:crypto';
import type { Config } from '../../config.js';
import { paletteFor, type Palette } from '../theme.js';

/**
 * The portal's one stylesheet, served at /portal/assets/portal.css (CSP `style-src 'self'`:
 * no element has a style attribute; SVG charts use presentation attributes such as `fill`).
 * The operator's colour (BRAND_COLOR) is in it, darkened where it is text so that every
 * text contrasts at least 4.5:1 (WCAG AA). Phones down to 360 px: the nav wraps, tables
 * scroll inside `.table-wrap`.
 *
 * Classes the areas use: .card .grid .table .table-wrap .button(.primary|.danger) .field
 * .muted .badge(.ok|.warn|.bad) .flash(.error) .filters .pager .actions .stat .sr-only; in a
 * .table, .num (right-aligned figures) and .nowrap (ids and times a phone must not break).
 */
function portalStyle(p: Palette): string {
  return `
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Microsoft YaHei",Roboto,sans-serif;font-size:16px;line-height:1.5;background:#f3f5f8;color:#1d2330}
a{color:${p.accentText}}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,summary:focus-visible,[tabindex]:focus-visible{outline:3px solid ${p.accentText};outline-offset:2px}
.skip{position:absolute;left:8px;top:-60px;background:#fff;color:#1d2330;padding:10px 14px;border-radius:8px;z-index:10;font-weight:600}
.skip:focus{top:8px}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.top{background:#fff;border-top:4px solid ${p.accent};border-bottom:1px solid #d8dee8}
.top-inner{max-width:1200px;margin:0 auto;padding:10px 20px;display:flex;flex-wrap:wrap;align-items:center;gap:8px 20px}
.brand{font-weight:700;color:${p.accentText};text-decoration:none;font-size:18px;margin-right:auto;display:flex;align-items:center;gap:8px;min-width:0}
.brand img{height:28px;width:auto;max-width:140px}
.org{color:#5b6575;font-weight:400;font-size:14px}
.who{display:flex;flex-wrap:wrap;align-items:center;gap:6px 14px;font-size:14px}
.who .email{color:#3d4655;overflow-wrap:anywhere}
.who form{margin:0}
.nav{max-width:1200px;margin:0 auto;padding:0 12px}
.nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:2px}
.nav a{display:block;padding:10px 10px;color:#3d4655;text-decoration:none;border-bottom:3px solid transparent;font-weight:500}
.nav a:hover{color:${p.accentText}}
.nav a[aria-current="page"]{color:${p.accentText};border-bottom-color:${p.accent};font-weight:700}
main{display:block;max-width:1200px;margin:0 auto;padding:20px}
main:focus{outline:none}
h1{font-size:24px;margin:4px 0 16px}
h2{font-size:19px;margin:0 0 12px}
h3{font-size:16px;margin:0 0 8px}
.card{background:#fff;border:1px solid #d8dee8;border-radius:12px;padding:18px 20px;margin:0 0 16px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:16px;margin:0 0 16px}
.grid>.card{margin:0}
.stat{font-size:26px;font-weight:700;margin:4px 0}
.muted{color:#5b6575}
.small{font-size:13px}
.table-wrap{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:0 0 16px;border:1px solid #d8dee8;border-radius:12px;background:#fff}
.table{width:100%;border-collapse:collapse;font-size:14px}
.table th,.table td{text-align:left;padding:10px 12px;border-bottom:1px solid #e6eaf0;vertical-align:top}
.table th{background:#f7f8fb;color:#3d4655;font-weight:600;white-space:nowrap}
.table tr:last-child td{border-bottom:0}
.table .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.table .nowrap{white-space:nowrap;overflow-wrap:normal}
.button{display:inline-block;font:inherit;font-size:15px;font-weight:600;line-height:1.2;padding:10px 16px;border-radius:8px;border:1px solid #9aa4b5;background:#fff;color:#1d2330;cursor:pointer;text-decoration:none;min-height:44px}
.button:hover{background:#f0f2f6}
.button.primary{background:${p.accent};border-color:${p.accent};color:${p.onAccent}}
.button.primary:hover{filter:brightness(.95)}
.button.danger{background:#a31515;border-color:#a31515;color:#fff}
.button.link{background:none;border:0;color:${p.accentText};text-decoration:underline;padding:4px;min-height:0;font-weight:500}
.button[disabled]{opacity:.6;cursor:not-allowed}
.actions{display:flex;flex-wrap:wrap;gap:10px;align-items:center;margin:12px 0 0}
.field{display:block;margin:0 0 14px}
.field label{display:block;font-weight:600;font-size:14px;margin:0 0 4px}
.field input,.field select,.field textarea{display:block;width:100%;max-width:480px;font:inherit;padding:9px 11px;border:1px solid #8a94a6;border-radius:8px;background:#fff;color:#1d2330}
.field .hint{font-size:13px;color:#5b6575;margin:4px 0 0}
.filters{display:flex;flex-wrap:wrap;gap:10px 14px;align-items:flex-end;margin:0 0 16px}
.filters .field{margin:0}
.filters .field input,.filters .field select{width:auto;min-width:140px}
.pager{display:flex;gap:10px;align-items:center;justify-content:space-between;flex-wrap:wrap;margin:0 0 16px}
.badge{display:inline-block;padding:2px 8px;border-radius:999px;font-size:12px;font-weight:600;background:#e8ecf2;color:#1d2330;white-space:nowrap}
.badge.ok{background:#e3f5e9;color:#0a5c25}
.badge.warn{background:#fff4d6;color:#6b4100}
.badge.bad{background:#fbe3e3;color:#a31515}
.flash{border-radius:8px;padding:10px 14px;margin:0 0 16px;background:#e3f5e9;color:#0a5c25;border:1px solid #b6e2c3}
.flash.error{background:#fbe3e3;color:#8c1010;border-color:#f0b9b9}
.auth{max-width:420px;margin:32px auto}
.auth h1{margin-top:0}
.auth .field input{max-width:none}
.qr svg{width:200px;height:200px;display:block;margin:8px 0}
svg.chart{display:block;width:100%;max-width:760px;height:auto;margin:4px 0 8px}
svg.chart-narrow{display:none}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:14px;overflow-wrap:anywhere}
.table .actions{margin:0;flex-wrap:nowrap}
.table .actions form{margin:0}
.table select{font:inherit;padding:8px;border:1px solid #8a94a6;border-radius:8px;background:#fff;color:#1d2330;min-height:44px}
.choices{border:0;padding:0;margin:0 0 14px}
.choices legend{font-weight:600;font-size:14px;padding:0;margin:0 0 4px}
.choices label{display:flex;gap:8px;align-items:center;margin:4px 0;min-height:32px}
.plain{list-style:none;margin:0;padding:0}
@media (max-width:600px){
svg.chart-wide{display:none}
svg.chart-narrow{display:block}
.top-inner{padding:8px 12px}
main{padding:14px 12px}
.nav{padding:0 4px}
.nav a{padding:8px 8px}
h1{font-size:21px}
.card{padding:14px}
.auth{margin:12px auto}
.button{width:auto}
}
/* Payment links and Developers; an .sr-only inside a table stays inside its scrolling frame */
.table-wrap{position:relative}
.facts{display:grid;grid-template-columns:minmax(8em,auto) 1fr;gap:6px 16px;margin:0 0 12px}.facts dt{color:#5b6575}.facts dd{margin:0;overflow-wrap:anywhere}
.copy{display:flex;gap:6px;align-items:center;min-width:0}.copy input,.field .copy input{display:block;flex:1;min-width:12em;max-width:none;font-size:13px;padding:8px 10px;border:1px solid #8a94a6;border-radius:8px;background:#f7f8fb;color:#1d2330}
.field .error{color:#a31515;font-size:14px;font-weight:600;margin:4px 0 0}.field .check{display:flex;gap:8px;align-items:center;font-weight:500}.field .check input{display:inline-block;width:auto;margin:0}
.qr-image{display:block;margin:12px 0;width:180px;height:180px}
.rotate{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0 0;font-size:14px}.rotate select{font:inherit;padding:8px;border:1px solid #8a94a6;border-radius:8px;background:#fff;color:#1d2330}
.provider{border-top:1px solid #e6eaf0;padding:10px 0 0;margin:10px 0 0}h4{font-size:15px;margin:12px 0 6px}
pre.sign{background:#f7f8fb;border:1px solid #d8dee8;border-radius:8px;padding:12px;white-space:pre-wrap;overflow-wrap:anywhere;margin:0 0 12px}.variants{padding-left:20px}.variants li{margin:6px 0}
.stat.warn{color:#6b4100}.stat.bad{color:#a31515}
`;
}

export interface PortalStylesheet {
  readonly css: string;
  /** A digest of the CSS, in the URL (`?v=`) and the ETag, so it can be cached for good. */
  readonly version: string;
  readonly href: string;
}

const sheets = new WeakMap<Config, PortalStylesheet>();

/** The stylesheet of a configuration (its brand colour), computed once. */
export function portalStylesheet(config: Pick<Config, 'brandColor'>): PortalStylesheet {
  let sheet = sheets.get(config as Config);
  if (!sheet) {
    const css = portalStyle(paletteFor(config.brandColor));
    const version = createHash('sha256').update(css).digest('hex').slice(0, 16);
    sheet = Object.freeze({ css, version, href: `/portal/assets/portal.css?v=${version}` });
    sheets.set(config as Config, sheet);
  }
  return sheet;
}
