import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createCallbackHandler, LatipayError, LatipaySignatureError, type Latipay } from '../../sdk/src/index.js';
import { CATALOGUE, findProduct, formatMinor } from './catalogue.js';
import { OrderStore, type ShopOrder } from './order-store.js';
import { renderCart, renderCatalogue, renderMessage, renderOrder, renderOrders, renderProduct, type CartLine } from './pages.js';

export interface ShopOptions {
  latipay: Latipay;
  /** Where customers and Latipay reach the shop, e.g. `http://localhost:3000` (no trailing slash). */
  publicUrl: string;
  /** The wallet's currency: the shop's prices are in it. */
  currency?: string;
  store?: OrderStore;
  log?: (line: string) => void;
}

export interface Shop {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  store: OrderStore;
}

type Method = 'alipay' | 'wechat';

/**
 * A small merchant website built on the SDK: a catalogue, a cart kept in a cookie, and a
 * checkout that creates the payment with `createTransaction` and sends the customer to
 * Latipay's hosted page. The result comes back twice: the signed callback
 * (`createCallbackHandler`, authoritative) and the signed redirect (`verifyReturn`, shown
 * to the customer, confirmed with `queryTransaction` when the callback has not arrived yet).
 */
export function createShop(options: ShopOptions): Shop {
  const { latipay } = options;
  const publicUrl = options.publicUrl.replace(/\/+$/, '');
  const currency = options.currency ?? 'NZD';
  const store = options.store ?? new OrderStore();
  const log = options.log ?? ((line: string) => console.log(line));

  const onCallback = createCallbackHandler(
    latipay,
    (event) => {
      store.recordCallback(event);
      log(`shop: verified callback for ${event.merchant_reference}: ${event.status}`);
    },
    { onError: (error, event) => log(`shop: callback${event ? ` for ${event.merchant_reference}` : ''} not acknowledged: ${(error as Error).message}`) },
  );

  // What the wallet accepts and its CNY rate, asked of Latipay at most once a minute.
  const methods = cached(60_000, async (): Promise<Method[]> => {
    const detail = await latipay.walletDetail();
    return detail.payment_methods.filter((method): method is Method => method === 'alipay' || method === 'wechat');
  });
  const cnyRate = cached(60_000, async () => {
    const { rates } = await latipay.rates();
    const rate = Number(rates.find((r) => r.currency === 'CNY')?.rate);
    return Number.isFinite(rate) && rate > 0 ? rate : undefined;
  });

  async function checkout(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const method = form.get('payment_method');
    const lines = readCart(req);
    if ((method !== 'alipay' && method !== 'wechat') || lines.length === 0) return redirect(res, '/cart');
    const totalMinor = lines.reduce((sum, line) => sum + line.product.priceMinor * line.quantity, 0);
    const order: ShopOrder = {
      reference: newReference(),
      lines: lines.map((line) => ({ sku: line.product.sku, name: line.product.name, quantity: line.quantity, unitMinor: line.product.priceMinor })),
      totalMinor,
      currency,
      paymentMethod: method,
      status: 'pending',
      createdAt: new Date().toISOString(),
      callbacks: [],
    };
    store.add(order);
    try {
      const created = await latipay.createTransaction({
        amount: formatMinor(totalMinor),
        payment_method: method,
        merchant_reference: order.reference,
        product_name: lines.map((line) => `${line.product.name.split(',')[0]} ×${line.quantity}`).join(', ').slice(0, 255),
        return_url: `${publicUrl}/return`,
        callback_url: `${publicUrl}/latipay/callback`,
        backPage_url: `${publicUrl}/cart`,
        ip: clientIp(req),
      });
      log(`shop: order ${order.reference} (${formatMinor(totalMinor)} ${currency}, ${method}) → ${created.payment_url}`);
      res.setHeader('set-cookie', 'cart=; Path=/; Max-Age=0; SameSite=Lax');
      return redirect(res, created.payment_url);
    } catch (error) {
      const detail = error instanceof LatipayError ? `Latipay answered code ${error.code}: ${error.message}` : (error as Error).message;
      log(`shop: could not create the payment of ${order.reference}: ${detail}`);
      return html(res, 502, renderMessage('The payment could not be started', detail));
    }
  }

  async function returned(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let back;
    try {
      back = latipay.verifyReturn(req.url ?? '');
    } catch (error) {
      if (!(error instanceof LatipaySignatureError)) throw error;
      log(`shop: refused a return link: ${error.message}`);
      return html(res, 400, renderMessage('This link is not genuine', 'Its signature does not match. Your order page shows the real state of your payment.'));
    }
    const order = store.get(back.merchant_reference);
    if (!order) return html(res, 404, renderMessage('Order not found', `There is no order ${back.merchant_reference} in this shop.`));
    store.recordReturn(order.reference);
    // The redirect is what the customer's browser says; the callback or a query decide.
    if (order.status === 'pending') {
      try {
        store.recordQuery(order.reference, await latipay.queryTransaction(order.reference, { timeoutMs: 10_000 }));
      } catch (error) {
        log(`shop: could not query ${order.reference}: ${(error as Error).message}`);
      }
    }
    return redirect(res, `/orders/${encodeURIComponent(order.reference)}`);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://shop.invalid');
    const path = url.pathname;
    try {
      if (path === '/latipay/callback') return await onCallback(req, res);
      if (req.method === 'GET' && path === '/') return html(res, 200, renderCatalogue(currency, countOf(readCart(req)), await cnyRate()));
      if (req.method === 'GET' && path.startsWith('/products/')) {
        const product = findProduct(decodeURIComponent(path.slice('/products/'.length)));
        if (!product) return html(res, 404, renderMessage('Not found', 'We do not sell that (yet).'));
        return html(res, 200, renderProduct(product, currency, countOf(readCart(req)), await cnyRate()));
      }
      if (req.method === 'GET' && path === '/cart') return html(res, 200, renderCart(readCart(req), currency, (await methods()) ?? ['alipay', 'wechat'], await cnyRate()));
      if (req.method === 'POST' && path === '/cart/add') {
        const sku = new URLSearchParams(await readBody(req)).get('sku') ?? '';
        const lines = readCart(req);
        const product = findProduct(sku);
        if (product) {
          const line = lines.find((l) => l.product.sku === sku);
          if (line) line.quantity = Math.min(99, line.quantity + 1);
          else lines.push({ product, quantity: 1 });
          setCart(res, lines);
        }
        return redirect(res, '/cart');
      }
      if (req.method === 'POST' && path.startsWith('/orders/') && path.endsWith('/retry')) {
        // A payment that did not go through: the same products go back into the cart.
        const order = store.get(decodeURIComponent(path.slice('/orders/'.length, -'/retry'.length)));
        const lines = (order?.lines ?? []).flatMap((line) => {
          const product = findProduct(line.sku);
          return product ? [{ product, quantity: line.quantity }] : [];
        });
        if (lines.length > 0) setCart(res, lines);
        return redirect(res, '/cart');
      }
      if (req.method === 'POST' && path === '/cart/clear') {
        res.setHeader('set-cookie', 'cart=; Path=/; Max-Age=0; SameSite=Lax');
        return redirect(res, '/cart');
      }
      if (req.method === 'POST' && path === '/checkout') return await checkout(req, res);
      if (req.method === 'GET' && path === '/return') return await returned(req, res);
      if (req.method === 'GET' && path === '/orders') return html(res, 200, renderOrders(store.list()));
      if (req.method === 'GET' && path.startsWith('/orders/')) {
        const order = store.get(decodeURIComponent(path.slice('/orders/'.length)));
        if (!order) return html(res, 404, renderMessage('Order not found', 'There is no such order in this shop.'));
        return html(res, 200, renderOrder(order));
      }
      if (req.method === 'GET' && path === '/healthz') return text(res, 200, 'ok');
      return html(res, 404, renderMessage('Not found', 'There is nothing here.'));
    } catch (error) {
      log(`shop: ${req.method} ${path} failed: ${(error as Error).stack ?? error}`);
      if (!res.headersSent) html(res, 500, renderMessage('Something went wrong', 'Please try again.'));
      else res.end();
    }
  }

  return { handle, store };
}

/** Wraps a lookup so it runs at most once per `ttlMs`; a failure answers undefined (the page renders without it). */
function cached<T>(ttlMs: number, load: () => Promise<T>): () => Promise<T | undefined> {
  let value: T | undefined;
  let until = 0;
  return async () => {
    if (Date.now() < until) return value;
    try {
      value = await load();
      until = Date.now() + ttlMs;
    } catch {
      value = undefined;
      until = Date.now() + 5_000;
    }
    return value;
  };
}

function readCart(req: IncomingMessage): CartLine[] {
  const cookie = (req.headers.cookie ?? '').split(';').map((part) => part.trim()).find((part) => part.startsWith('cart='));
  if (!cookie) return [];
  const lines: CartLine[] = [];
  for (const item of decodeURIComponent(cookie.slice('cart='.length)).split(',')) {
    const [sku, quantity] = item.split(':');
    const product = findProduct(sku);
    const count = Number(quantity);
    if (product && Number.isInteger(count) && count > 0 && count < 100 && !lines.some((l) => l.product.sku === sku)) lines.push({ product, quantity: count });
  }
  return lines.sort((a, b) => CATALOGUE.indexOf(a.product) - CATALOGUE.indexOf(b.product));
}

function setCart(res: ServerResponse, lines: CartLine[]): void {
  res.setHeader('set-cookie', `cart=${encodeURIComponent(lines.map((l) => `${l.product.sku}:${l.quantity}`).join(','))}; Path=/; SameSite=Lax; HttpOnly`);
}

function countOf(lines: CartLine[]): number {
  return lines.reduce((sum, line) => sum + line.quantity, 0);
}

function newReference(): string {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  return `KP-${day}-${randomBytes(4).toString('hex')}`;
}

/** The customer's IP for Latipay's `ip` field (an IPv4-mapped address written as IPv4). */
function clientIp(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

async function readBody(req: IncomingMessage, limit = 16 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function html(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(body);
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location }).end();
}
