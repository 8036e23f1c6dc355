import QRCode from 'qrcode';
import { formatAmount } from '../domain/money.js';
import type { OrderRecord } from '../store/orders.js';
import type { Device } from './device.js';
import type { Language, Strings } from './i18n.js';
import { stringsFor } from './i18n.js';
import { html, page, raw, type RawHtml } from './layout.js';

export interface PaymentPageInput {
  order: OrderRecord;
  organisationName: string;
  qrUrl: string;
  nonce: string;
  language: Language;
  device: Device;
  now: number;
  sandbox: boolean;
  /** The response's Content-Security-Policy script nonce. */
  scriptNonce: string;
}

// A trade's QR never changes, and drawing one was most of the page's CPU: the last
// thousand are kept, as bytes (~2.5 KiB each). Kept as the string the QR library builds
// piece by piece, each held ~200 KiB: the cache alone took the gateway from ~140 to
// ~370 MiB in the payment-page bench.
const QR_CACHE_SIZE = 1_000;
const qrCache = new Map<string, Buffer>();

/** The SVG of a QR code for `url`, encoded as one byte-mode segment (a URL gains nothing from mixed modes, whose search cost a fifth of the drawing). */
async function qrSvgFor(url: string): Promise<string> {
  const cached = qrCache.get(url);
  if (cached !== undefined) {
    qrCache.delete(url);
    qrCache.set(url, cached);
    return cached.toString('utf8');
  }
  const svg = await QRCode.toString([{ data: Buffer.from(url, 'utf8'), mode: 'byte' }], { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
  if (qrCache.size >= QR_CACHE_SIZE) qrCache.delete(qrCache.keys().next().value as string);
  qrCache.set(url, Buffer.from(svg, 'utf8'));
  return svg;
}

/**
 * The hosted payment page (spec §4.2). PC: a QR to scan with the wallet app. Mobile
 * browser: Alipay hands off to the app; WeChat explains it must be opened in WeChat.
 * Inside the wallet's own browser: pay in place. Live status (server-sent events, polling
 * as a fallback) moves to the result page.
 */
export async function renderPaymentPage(input: PaymentPageInput): Promise<string> {
  const { order, language, device } = input;
  const t = stringsFor(language);
  const method = order.payment_method === 'wechat' ? 'wechat' : 'alipay';
  const methodName = method === 'wechat' ? t.wechat : t.alipay;
  const qr = html`<div class="qr" data-test="qr" data-qr-url="${input.qrUrl}">${raw(await qrSvgFor(input.qrUrl))}</div>`;

  let action: RawHtml;
  if (device === 'pc') {
    action = html`${qr}<p class="status muted">${method === 'wechat' ? t.scanWechat : t.scanAlipay}</p>`;
  } else if (device === 'wechat-app' || device === 'alipay-app') {
    const inOwnApp = (device === 'wechat-app') === (method === 'wechat');
    action = inOwnApp
      ? html`<a class="button ${method}" data-test="pay-in-app" href="${input.qrUrl}">${t.payNow}</a>`
      : html`<p class="notice" data-test="wrong-app">${t.wrongApp.replaceAll('{method}', methodName)}</p>`;
  } else if (method === 'alipay') {
    action = html`<a class="button alipay" data-test="open-app" href="${input.qrUrl}">${t.openAlipay}</a>${qr}`;
  } else {
    action = html`<p class="notice" data-test="open-in-wechat">${t.openInWechat}</p>
      <button class="button neutral" type="button" id="copy" data-copied="${t.copied}">${t.copyLink}</button>
      ${order.present_qr === '1' ? qr : raw('')}`;
  }

  const body = html`
    ${input.sandbox ? html`<div class="sandbox">${t.sandboxBanner}</div>` : raw('')}
    <h1 data-test="merchant">${input.organisationName}</h1>
    <div class="amount" data-test="amount">${formatAmount(Number(order.amount_minor))} <span class="muted">${order.currency}</span></div>
    <dl><dt>${t.product}</dt><dd data-test="product">${order.product_name}</dd><dt>${methodName}</dt><dd class="muted">${order.order_id}</dd></dl>
    ${action}
    <p class="status" id="status" data-test="status" data-status="pending">${t.waiting}</p>
    <p class="countdown"><span>${t.expiresIn}</span> <span id="countdown" data-expires="${Number(order.expires_at)}" data-now="${input.now}">--:--</span></p>
    ${order.backpage_url ? html`<footer><a href="${order.backpage_url}" data-test="back">${t.back}</a></footer>` : raw('')}`;

  return page({
    language,
    title: `${t.title} ${order.product_name}`,
    body,
    switchHref: `?lang=${language === 'en' ? 'zh' : 'en'}`,
    switchLabel: t.language,
    script: { source: liveScript(input.nonce, t), nonce: input.scriptNonce },
  });
}

/** Counts down, listens for the order's status, and moves to the result page when it is final. */
function liveScript(nonce: string, t: Strings): string {
  const base = `/pay/${nonce}`;
  return `(function(){
var base=${JSON.stringify(base)},done=false;
function finish(){if(done)return;done=true;location.href=base+'/result'+location.search;}
function seen(s){var el=document.getElementById('status');if(s&&s!=='pending'){el.setAttribute('data-status',s);finish();}}
var cd=document.getElementById('countdown'),skew=Date.now()-Number(cd.getAttribute('data-now')),exp=Number(cd.getAttribute('data-expires'));
function tick(){var left=Math.max(0,exp-(Date.now()-skew));var s=Math.floor(left/1000),h=Math.floor(s/3600),m=Math.floor(s%3600/60),x=s%60;
cd.textContent=(h?h+':':'')+(m<10&&h?'0':'')+m+':'+(x<10?'0':'')+x;if(left<=0){document.getElementById('status').textContent=${JSON.stringify(t.expired)};location.reload();return;}setTimeout(tick,1000);}tick();
function poll(){if(done)return;fetch(base+'/status',{cache:'no-store'}).then(function(r){return r.json()}).then(function(j){seen(j.status)}).catch(function(){}).then(function(){setTimeout(poll,2000)});}
if(window.EventSource){var es=new EventSource(base+'/events');es.onmessage=function(e){try{seen(JSON.parse(e.data).status)}catch(_){}};es.onerror=function(){es.close();setTimeout(poll,1000);};}else{poll();}
var copy=document.getElementById('copy');if(copy){copy.onclick=function(){navigator.clipboard&&navigator.clipboard.writeText(location.href).then(function(){copy.textContent=copy.getAttribute('data-copied')})}}
})();`;
}

export interface ResultPageInput {
  order: OrderRecord;
  organisationName: string;
  nonce: string;
  language: Language;
  /** Where the page goes after a moment: `/pay/{nonce}` redirects to the signed return_url. */
  continueHref: string | undefined;
  /** The response's Content-Security-Policy script nonce. */
  scriptNonce: string;
}

/** The result shown between the payment and the redirect to the merchant. */
export function renderResultPage(input: ResultPageInput): string {
  const t = stringsFor(input.language);
  const paid = input.order.status === 'paid';
  const body = html`
    <h1 class="${paid ? 'ok' : 'fail'}" data-test="result" data-status="${input.order.status}">${paid ? t.paidTitle : t.failedTitle}</h1>
    <div class="amount">${formatAmount(Number(input.order.amount_minor))} <span class="muted">${input.order.currency}</span></div>
    <dl><dt>${t.payTo}</dt><dd>${input.organisationName}</dd><dt>${t.product}</dt><dd>${input.order.product_name}</dd></dl>
    ${input.continueHref ? html`<p class="muted">${t.redirecting}</p><a class="button neutral" data-test="continue" href="${input.continueHref}">${t.continue}</a>` : raw('')}
    ${input.order.backpage_url ? html`<footer><a href="${input.order.backpage_url}">${t.back}</a></footer>` : raw('')}`;
  return page({
    language: input.language,
    title: paid ? t.paidTitle : t.failedTitle,
    body,
    script: input.continueHref
      ? { source: `setTimeout(function(){location.replace(${JSON.stringify(input.continueHref)})},2500);`, nonce: input.scriptNonce }
      : undefined,
  });
}
