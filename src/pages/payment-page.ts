import QRCode from 'qrcode';
import type { NextAction } from '../channels/provider.js';
import type { OrderRecord } from '../store/orders.js';
import type { Device } from './device.js';
import type { Language, Strings } from './i18n.js';
import { stringsFor } from './i18n.js';
import { html, page, raw, type RawHtml } from './layout.js';
import { amountHtml, detailsHtml, isBankMethod, methodName, methodOf, referenceHtml, type PageMethod } from './order-summary.js';
import type { Theme } from './theme.js';

export interface PaymentPageInput {
  order: OrderRecord;
  organisationName: string;
  qrUrl: string;
  /** What the provider said the customer does next (an in-app payment's parameters). */
  nextAction?: NextAction;
  nonce: string;
  language: Language;
  device: Device;
  now: number;
  /**
   * The sandbox serves this order (its channel, not the SANDBOX setting: a gateway with the
   * sandbox on may serve other orders with real providers): the banner, and a link that opens
   * the test wallet in this browser, for a tester with no phone or a PUBLIC_URL a phone cannot reach.
   */
  sandbox: boolean;
  theme: Theme;
  /** The response's Content-Security-Policy script nonce. */
  scriptNonce: string;
  /** The back link's words when it is not back to the merchant (an invoice's order: back to its choice of methods). */
  backLabel?: string;
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
  const method = methodOf(order);
  const name = methodName(method, t);
  const scan = method === 'wechat' ? t.scanWechat : t.scanAlipay;
  const qr = html`<div class="qr" data-test="qr" data-qr-url="${input.qrUrl}" role="img" aria-label="${scan}">${raw(await qrSvgFor(input.qrUrl))}</div>`;
  // Same origin as this page (the path the QR encodes), so it works however the page was reached.
  const testWallet = input.sandbox
    ? html`<a class="button outline" data-test="test-wallet" href="${`${walletPath(input.qrUrl)}?lang=${language}`}">${t.openTestWallet}</a><p class="hint">${t.testWalletHint}</p>`
    : raw('');

  // A provider's own page (Antom's cashier): left to, except from the other wallet's app, which cannot open it.
  const redirect = input.nextAction?.type === 'redirect' && navigable(input.nextAction.url) ? input.nextAction.url : undefined;
  let action: RawHtml;
  if (input.nextAction?.type === 'show_instructions') {
    // PayID: the payer sends the money from their own bank; the page waits for it.
    action = instructionsHtml(input.nextAction.instructions, input.sandbox, language, t);
  } else if (redirect !== undefined && isBankMethod(method)) {
    action = bankRedirectHtml(redirect, device, method, t);
  } else if (redirect !== undefined && !(device === 'wechat-app' && method !== 'wechat')) {
    action = redirectHtml(redirect, device, method, t);
  } else if (device === 'pc') {
    action = html`${qr}<p class="status muted">${scan}</p>${testWallet}`;
  } else if (device === 'wechat-app' || device === 'alipay-app') {
    const inOwnApp = (device === 'wechat-app') === (method === 'wechat');
    const next = input.nextAction;
    if (inOwnApp && next?.type === 'open_wallet' && next.wallet === 'wechat_jsapi') {
      // WeixinJSBridge opens WeChat Pay's own sheet with these parameters (the page's script, on a tap).
      action = html`<button class="button wechat" type="button" id="wxpay" data-test="wechat-jsapi" data-params="${JSON.stringify(next.params)}">${t.payNow}</button>`;
    } else if (inOwnApp && input.qrUrl.startsWith('weixin://')) {
      // WeChat Pay's own QR cannot be followed as a link inside WeChat, but can be long-pressed.
      action = html`${qr}<p class="status muted" data-test="long-press">${t.longPressWechat}</p>`;
    } else {
      action = inOwnApp
        ? html`<a class="button ${method}" data-test="pay-in-app" href="${input.qrUrl}">${t.payNow}</a>`
        : html`<p class="notice" data-test="wrong-app">${t.wrongApp.replaceAll('{method}', name)}</p>${testWallet}`;
    }
  } else if (method === 'alipay') {
    // The hand-off button already opens the wallet.
    action = html`<a class="button alipay" data-test="open-app" href="${input.qrUrl}">${t.openAlipay}</a>${qr}`;
  } else {
    action = html`<p class="notice" data-test="open-in-wechat">${t.openInWechat}</p>
      <button class="button neutral" type="button" id="copy" data-copied="${t.copied}">${t.copyLink}</button>
      ${order.present_qr === '1' ? qr : raw('')}${testWallet}`;
  }

  const body = html`
    ${input.sandbox ? html`<div class="sandbox" data-test="sandbox-banner">${t.sandboxBanner}</div>` : raw('')}
    <p class="label">${t.payTo}</p>
    <h1 data-test="merchant">${input.organisationName}</h1>
    ${amountHtml(order, t)}
    ${detailsHtml(order, t)}
    ${action}
    <p class="status" id="status" data-test="status" data-status="pending">${t.waiting}</p>
    <p class="countdown"><span>${t.expiresIn}</span> <span id="countdown" data-expires="${Number(order.expires_at)}" data-now="${input.now}">--:--</span></p>
    ${order.backpage_url ? html`<footer><a href="${order.backpage_url}" data-test="back">${input.backLabel ?? t.back}</a></footer>` : raw('')}
    ${referenceHtml(order, t)}`;

  return page({
    language,
    theme: input.theme,
    title: `${t.title} ${order.product_name}`,
    body,
    switchHref: `?lang=${language === 'en' ? 'zh' : 'en'}`,
    switchLabel: t.language,
    script: { source: liveScript(input.nonce, t), nonce: input.scriptNonce },
  });
}

/**
 * The way to the provider's page. On a PC it opens in a new tab, so this page stays and follows
 * the payment; on a phone and in the wallet's app the page goes there by itself, once per link
 * (the customer who comes back is not sent away again), and the button stays for a second try.
 */
function redirectHtml(url: string, device: Device, method: string, t: Strings): RawHtml {
  if (device === 'pc') {
    return html`<a class="button ${method}" data-test="redirect" href="${url}" target="_blank" rel="noopener noreferrer">${t.payNow}</a>`;
  }
  const label = device === 'mobile' && method === 'alipay' ? t.openAlipay : t.payNow;
  return html`<a class="button ${method}" data-test="redirect" data-auto-redirect="1" href="${url}">${label}</a>`;
}

/**
 * The way to the bank's (or UnionPay's) page, in this tab on every device: the bank sends the
 * payer back to this order's result, which moves on to the merchant. On a phone the page goes
 * there by itself, once per link, as for any redirect.
 */
function bankRedirectHtml(url: string, device: Device, method: PageMethod, t: Strings): RawHtml {
  const label = method === 'upi_upop' ? t.payWithUnionPay : t.payWithBank;
  const link =
    device === 'pc'
      ? html`<a class="button ${method}" data-test="redirect" href="${url}">${label}</a>`
      : html`<a class="button ${method}" data-test="redirect" data-auto-redirect="1" href="${url}">${label}</a>`;
  return html`${link}<p class="hint">${t.bankRedirectHint}</p>`;
}

/**
 * What to pay by oneself, as the provider said (a PayID, its reference, the amount), with the
 * steps to do it; in the sandbox, the way to its test bank app (same origin, like the test wallet).
 */
function instructionsHtml(instructions: Readonly<Record<string, string>>, sandbox: boolean, language: Language, t: Strings): RawHtml {
  const { payId, reference, amount, currency, sandboxPayerUrl } = instructions;
  const row = (label: string, value: string | undefined, name: string) =>
    value ? html`<dt>${label}</dt><dd class="strong" data-test="${name}">${value}</dd>` : raw('');
  const testBank =
    sandbox && sandboxPayerUrl
      ? html`<a class="button outline" data-test="test-bank" href="${`${walletPath(sandboxPayerUrl)}?lang=${language}`}">${t.openTestBank}</a><p class="hint">${t.testBankHint}</p>`
      : raw('');
  return html`<p class="notice" data-test="instructions-intro">${t.payIdIntro.replace('{amount}', amount ?? '').replace('{currency}', currency ?? '')}</p>
    <dl class="instructions" data-test="instructions">${row(t.payIdLabel, payId, 'payid')}${row(t.payIdReference, reference, 'payid-reference')}${row(t.amount, amount && `${amount} ${currency ?? ''}`.trim(), 'payid-amount')}</dl>
    <ol class="steps"><li>${t.payIdStep1}</li><li>${t.payIdStep2}</li><li>${t.payIdStep3}</li></ol>
    <p class="hint">${t.payIdWaiting}</p>${testBank}`;
}

/** Links a page may send a customer to: the web, and Alipay's own app schemes; never script. */
function navigable(url: string): boolean {
  return /^(https?|alipays?):/i.test(url);
}

/** The path of the wallet URL (absolute under PUBLIC_URL). */
function walletPath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

/** Counts down, listens for the order's status, and moves to the result page when it is final. */
function liveScript(nonce: string, t: Strings): string {
  const base = `/pay/${nonce}`;
  return `(function(){
var base=${JSON.stringify(base)},done=false;
function finish(){if(done)return;done=true;location.href=base+'/result'+location.search;}
function seen(s){var el=document.getElementById('status');if(s&&s!=='pending'){el.setAttribute('data-status',s);finish();}}
function check(){return fetch(base+'/status',{cache:'no-store'}).then(function(r){return r.json()}).then(function(j){seen(j.status)}).catch(function(){});}
var cd=document.getElementById('countdown'),skew=Date.now()-Number(cd.getAttribute('data-now')),exp=Number(cd.getAttribute('data-expires'));
function tick(){var left=Math.max(0,exp-(Date.now()-skew));var s=Math.floor(left/1000),h=Math.floor(s/3600),m=Math.floor(s%3600/60),x=s%60;
cd.textContent=(h?h+':':'')+(m<10&&h?'0':'')+m+':'+(x<10?'0':'')+x;if(left<=0){document.getElementById('status').textContent=${JSON.stringify(t.expired)};location.reload();return;}setTimeout(tick,1000);}tick();
function poll(){if(done)return;check().then(function(){setTimeout(poll,2000)});}
if(window.EventSource){var es=new EventSource(base+'/events');es.onmessage=function(e){try{seen(JSON.parse(e.data).status)}catch(_){}};es.onerror=function(){es.close();setTimeout(poll,1000);};}else{poll();}
var wx=document.getElementById('wxpay');if(wx){wx.onclick=function(){var p;try{p=JSON.parse(wx.getAttribute('data-params'))}catch(_){return}
function go(){window.WeixinJSBridge.invoke('getBrandWCPayRequest',p,function(r){if(r&&r.err_msg==='get_brand_wcpay_request:ok')check();});}
if(window.WeixinJSBridge){go();}else{document.addEventListener('WeixinJSBridgeReady',go,false);}};}
var go=document.querySelector('[data-auto-redirect]');if(go){try{var k='latipay-redirect:'+go.getAttribute('href');if(!sessionStorage.getItem(k)){sessionStorage.setItem(k,'1');location.href=go.getAttribute('href');}}catch(_){}}
var copy=document.getElementById('copy');if(copy){copy.onclick=function(){navigator.clipboard&&navigator.clipboard.writeText(location.href).then(function(){copy.textContent=copy.getAttribute('data-copied')})}}
})();`;
}
