import { CATALOGUE, formatMinor, type Product } from './catalogue.js';
import type { ShopOrder } from './order-store.js';

/** Server-rendered pages of the demo shop: plain HTML, one stylesheet, no client framework. */

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,"Helvetica Neue",sans-serif;background:#faf7f2;color:#2a2522}
a{color:#8a3b12}header.top{display:flex;justify-content:space-between;align-items:center;padding:16px 28px;background:#fff;border-bottom:1px solid #eadfd3}
.logo{font-weight:800;font-size:20px;color:#2a2522;text-decoration:none;letter-spacing:.3px}.logo span{color:#b4541c}
nav a{margin-left:18px;text-decoration:none;font-weight:600}.count{background:#b4541c;color:#fff;border-radius:10px;padding:1px 8px;font-size:13px;margin-left:4px}
main{max-width:960px;margin:28px auto;padding:0 20px}h1{font-size:26px;margin:0 0 18px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:20px}
.card{background:#fff;border-radius:14px;box-shadow:0 2px 14px rgba(60,40,20,.07);overflow:hidden;display:flex;flex-direction:column}
.pic{height:150px;display:flex;align-items:flex-end;padding:12px;color:#fff;font-weight:700;font-size:14px;letter-spacing:.5px}
.card .body{padding:14px 16px 16px;display:flex;flex-direction:column;gap:8px;flex:1}.card h2{font-size:17px;margin:0}.card h2 a{color:inherit;text-decoration:none}
.price{font-weight:700;font-size:18px}.card .price{margin-top:auto}.muted{color:#7a6f66;font-size:14px}
button,.button{display:inline-block;border:0;border-radius:10px;padding:11px 16px;font-size:15px;font-weight:600;cursor:pointer;text-decoration:none;text-align:center}
.primary{background:#b4541c;color:#fff}.alipay{background:#1677ff;color:#fff}.wechat{background:#07c160;color:#fff}.plain{background:#efe7dd;color:#2a2522}
table{width:100%;border-collapse:collapse;background:#fff;border-radius:12px;overflow:hidden}td,th{padding:12px 14px;border-bottom:1px solid #f0e8de;text-align:left}th{font-size:13px;color:#7a6f66;font-weight:600}
td.num,th.num{text-align:right}.total td{font-weight:700;border-bottom:0}
.pay{display:flex;gap:12px;margin-top:18px;flex-wrap:wrap}.pay form{flex:1;min-width:200px}.pay button{width:100%;padding:15px}
.panel{background:#fff;border-radius:14px;box-shadow:0 2px 14px rgba(60,40,20,.07);padding:24px}
.badge{display:inline-block;border-radius:999px;padding:6px 14px;font-weight:700;font-size:15px}
.badge.paid{background:#dcf5e3;color:#0a6b2c}.badge.pending{background:#fff1cc;color:#7a5a00}.badge.failed,.badge.canceled,.badge.rejected{background:#fbe1e1;color:#9b1c1c}
dl{display:grid;grid-template-columns:auto 1fr;gap:6px 16px;font-size:15px}dt{color:#7a6f66}dd{margin:0}
.note{background:#eef6ff;border-radius:10px;padding:10px 14px;font-size:14px;margin:14px 0}
.product{display:grid;grid-template-columns:1fr 1fr;gap:28px}.product .pic{height:320px;border-radius:14px;font-size:18px}
@media (max-width:640px){.product{grid-template-columns:1fr}header.top{padding:14px 16px}}
`;

function layout(title: string, body: string, options: { cartCount?: number; refreshSeconds?: number } = {}): string {
  const refresh = options.refreshSeconds ? `<meta http-equiv="refresh" content="${options.refreshSeconds}">` : '';
  const count = options.cartCount ? `<span class="count" data-test="cart-count">${options.cartCount}</span>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">${refresh}<title>${escapeHtml(title)} · Kiwi Pantry</title><style>${STYLE}</style></head><body>
<header class="top"><a class="logo" href="/">Kiwi <span>Pantry</span></a><nav><a href="/">Shop</a><a href="/cart" data-test="cart-link">Cart${count}</a><a href="/orders">Orders</a></nav></header>
<main>${body}</main></body></html>`;
}

function picture(product: Product): string {
  return `<div class="pic" style="background:linear-gradient(135deg,${product.colours[0]},${product.colours[1]})">${escapeHtml(product.name.split(',')[0])}</div>`;
}

function addToCart(product: Product, label = 'Add to cart'): string {
  return `<form method="post" action="/cart/add"><input type="hidden" name="sku" value="${escapeHtml(product.sku)}"><button class="primary" data-test="add-${escapeHtml(product.sku)}">${escapeHtml(label)}</button></form>`;
}

/** `≈ ¥195.09` when the wallet's CNY rate is known (a hint for Chinese customers). */
function cnyHint(minor: number, cnyRate: number | undefined): string {
  if (!cnyRate) return '';
  return ` <span class="muted">≈ ¥${(Math.round(minor * cnyRate) / 100).toFixed(2)}</span>`;
}

export function renderCatalogue(currency: string, cartCount: number, cnyRate: number | undefined): string {
  const cards = CATALOGUE.map(
    (product) => `<article class="card">${picture(product)}<div class="body"><h2><a href="/products/${escapeHtml(product.sku)}">${escapeHtml(product.name)}</a></h2>
<p class="muted">${escapeHtml(product.blurb)}</p><div class="price">${formatMinor(product.priceMinor)} ${escapeHtml(currency)}${cnyHint(product.priceMinor, cnyRate)}</div>${addToCart(product)}</div></article>`,
  ).join('');
  return layout('Shop', `<h1>From Aotearoa, paid with Alipay or WeChat Pay</h1><div class="grid">${cards}</div>`, { cartCount });
}

export function renderProduct(product: Product, currency: string, cartCount: number, cnyRate: number | undefined): string {
  return layout(
    product.name,
    `<div class="product">${picture(product)}<div><h1 data-test="product-name">${escapeHtml(product.name)}</h1><p>${escapeHtml(product.blurb)}</p>
<p class="price">${formatMinor(product.priceMinor)} ${escapeHtml(currency)}${cnyHint(product.priceMinor, cnyRate)}</p>${addToCart(product)}<p><a href="/">← Back to the shop</a></p></div></div>`,
    { cartCount },
  );
}

export interface CartLine {
  product: Product;
  quantity: number;
}

export function renderCart(lines: CartLine[], currency: string, methods: ReadonlyArray<'alipay' | 'wechat'>, cnyRate: number | undefined): string {
  const count = lines.reduce((sum, line) => sum + line.quantity, 0);
  if (lines.length === 0) return layout('Cart', `<h1>Your cart</h1><div class="panel"><p>Your cart is empty.</p><a class="button primary" href="/">Browse the shop</a></div>`);
  const total = lines.reduce((sum, line) => sum + line.product.priceMinor * line.quantity, 0);
  const rows = lines
    .map((line) => `<tr><td>${escapeHtml(line.product.name)}</td><td class="num">${line.quantity}</td><td class="num">${formatMinor(line.product.priceMinor * line.quantity)}</td></tr>`)
    .join('');
  const buttons = methods
    .map(
      (method) =>
        `<form method="post" action="/checkout"><input type="hidden" name="payment_method" value="${method}"><button class="${method}" data-test="pay-${method}">Pay with ${method === 'alipay' ? 'Alipay' : 'WeChat Pay'}</button></form>`,
    )
    .join('');
  return layout(
    'Cart',
    `<h1>Your cart</h1><table><tr><th>Product</th><th class="num">Qty</th><th class="num">${escapeHtml(currency)}</th></tr>${rows}
<tr class="total"><td>Total</td><td></td><td class="num" data-test="cart-total">${formatMinor(total)} ${escapeHtml(currency)}${cnyHint(total, cnyRate)}</td></tr></table>
<div class="pay">${buttons || '<p class="note">This shop\'s wallet accepts neither Alipay nor WeChat Pay right now.</p>'}</div>
<form method="post" action="/cart/clear" style="margin-top:12px"><button class="plain">Empty the cart</button></form>`,
    { cartCount: count },
  );
}

const STATUS_TEXT: Record<string, { title: string; badge: string }> = {
  paid: { title: 'Thank you! Your order is paid.', badge: 'paid' },
  pending: { title: 'Waiting for the payment to be confirmed…', badge: 'pending' },
  failed: { title: 'The payment did not go through.', badge: 'failed' },
  canceled: { title: 'The payment was cancelled.', badge: 'canceled' },
  rejected: { title: 'The payment was rejected.', badge: 'rejected' },
};

/** The order page, where the customer lands after paying (or not). */
export function renderOrder(order: ShopOrder): string {
  const text = STATUS_TEXT[order.status] ?? STATUS_TEXT.pending;
  const rows = order.lines
    .map((line) => `<tr><td>${escapeHtml(line.name)}</td><td class="num">${line.quantity}</td><td class="num">${formatMinor(line.unitMinor * line.quantity)}</td></tr>`)
    .join('');
  const callback = order.callbacks.at(-1);
  const failed = order.status !== 'paid' && order.status !== 'pending';
  return layout(
    `Order ${order.reference}`,
    `<div class="panel"><h1 data-test="order-title">${escapeHtml(text.title)}</h1>
<p><span class="badge ${text.badge}" data-test="order-status" data-status="${escapeHtml(order.status)}">${escapeHtml(order.status)}</span></p>
<dl><dt>Order</dt><dd data-test="order-reference">${escapeHtml(order.reference)}</dd><dt>Paid with</dt><dd>${order.paymentMethod === 'alipay' ? 'Alipay' : 'WeChat Pay'}</dd>
${order.latipayOrderId ? `<dt>Latipay order</dt><dd>${escapeHtml(order.latipayOrderId)}</dd>` : ''}${order.payTime ? `<dt>Paid at</dt><dd>${escapeHtml(order.payTime)} <span class="muted">(Latipay's time)</span></dd>` : ''}</dl>
<table><tr><th>Product</th><th class="num">Qty</th><th class="num">${escapeHtml(order.currency)}</th></tr>${rows}<tr class="total"><td>Total</td><td></td><td class="num">${formatMinor(order.totalMinor)} ${escapeHtml(order.currency)}</td></tr></table>
<p class="note" data-test="callback" data-verified="${callback ? 'yes' : 'no'}">${
      callback
        ? `Latipay's signed notification was received and verified: ${escapeHtml(callback.status)}, ${escapeHtml(callback.receivedAt.replace('T', ' ').slice(0, 19))} UTC.`
        : 'Latipay\'s signed notification has not arrived yet; this page refreshes by itself.'
    }</p>
${order.problem ? `<p class="note" data-test="problem">${escapeHtml(order.problem)}</p>` : ''}
${
      failed
        ? `<form method="post" action="/orders/${encodeURIComponent(order.reference)}/retry"><button class="primary" data-test="try-again">Try again</button></form>`
        : `<p><a href="/">Continue shopping</a></p>`
    }</div>`,
    // Until the callback is in (it usually is before the customer is back), look again shortly.
    { refreshSeconds: order.status === 'pending' || !callback ? 2 : undefined },
  );
}

export function renderOrders(orders: ShopOrder[]): string {
  const rows = orders
    .map(
      (order) =>
        `<tr><td><a href="/orders/${encodeURIComponent(order.reference)}">${escapeHtml(order.reference)}</a></td><td>${escapeHtml(order.createdAt.replace('T', ' ').slice(0, 19))}</td><td>${order.paymentMethod}</td><td class="num">${formatMinor(order.totalMinor)} ${escapeHtml(order.currency)}</td><td><span class="badge ${escapeHtml(order.status)}">${escapeHtml(order.status)}</span></td><td>${order.callbacks.length ? 'verified' : '—'}</td></tr>`,
    )
    .join('');
  return layout(
    'Orders',
    `<h1>Orders</h1>${orders.length ? `<table><tr><th>Order</th><th>Created (UTC)</th><th>Method</th><th class="num">Total</th><th>Status</th><th>Callback</th></tr>${rows}</table>` : '<div class="panel">No orders yet.</div>'}`,
  );
}

export function renderMessage(title: string, detail: string): string {
  return layout(title, `<div class="panel"><h1 data-test="message">${escapeHtml(title)}</h1><p>${escapeHtml(detail)}</p><p><a href="/">Back to the shop</a></p></div>`);
}
