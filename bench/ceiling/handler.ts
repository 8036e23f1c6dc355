/**
 * The bare ceiling's HTTP handler: the least a server can do and still answer the bench's
 * create and query requests as the gateway must. Written apart from src/ on purpose (the
 * ceiling must not inherit the gateway's costs): Latipay's sorted signature checked in
 * constant time, the order stored durably (the store answers after its commit), and a
 * signed JSON answer of about the gateway's size. One merchant, known in advance.
 */
import { createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface CeilingMerchant {
  user_id: string;
  wallet_id: string;
  api_key: string;
}

/** The ceiling's order: 14 columns. */
export interface CeilingOrder {
  order_id: string;
  user_id: string;
  wallet_id: string;
  merchant_reference: string;
  amount_minor: number;
  currency: string;
  payment_method: string;
  product_name: string;
  return_url: string;
  callback_url: string;
  ip: string;
  nonce: string;
  status: string;
  created_at: number;
}

export const CEILING_COLUMNS = [
  'order_id', 'user_id', 'wallet_id', 'merchant_reference', 'amount_minor', 'currency', 'payment_method',
  'product_name', 'return_url', 'callback_url', 'ip', 'nonce', 'status', 'created_at',
] as const satisfies ReadonlyArray<keyof CeilingOrder>;

export type FoundOrder = Pick<CeilingOrder, 'order_id' | 'merchant_reference' | 'currency' | 'amount_minor' | 'payment_method' | 'status'>;

export interface CeilingStore {
  /** Resolves once the order is on disk: true, or false when its (user_id, merchant_reference) exists already. */
  insert(order: CeilingOrder): Promise<boolean>;
  /** The order of (user_id, merchant_reference), as committed. */
  find(userId: string, merchantReference: string): Promise<FoundOrder | undefined>;
}

const REQUIRED = ['user_id', 'wallet_id', 'amount', 'payment_method', 'return_url', 'callback_url', 'merchant_reference', 'ip', 'version', 'product_name', 'signature'];
const BODY_LIMIT = 64 * 1024;
const HEX64 = /^[0-9a-fA-F]{64}$/;
const AMOUNT = /^(\d{1,12})(?:\.(\d{1,2}))?$/;

function hmacHex(key: string, message: string): string {
  return createHmac('sha256', key).update(message, 'utf8').digest('hex');
}

/** Spec §2.1: the fields but `signature` and empty ones, sorted, `k=v` joined by `&`, the key appended. */
function verifySorted(fields: ReadonlyArray<readonly [string, string]>, apiKey: string, given: string | undefined): boolean {
  if (given === undefined || !HEX64.test(given)) return false;
  const kept = fields.filter(([k, v]) => k !== 'signature' && v !== '').sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const expected = hmacHex(apiKey, kept.map(([k, v]) => `${k}=${v}`).join('&') + apiKey);
  return timingSafeEqual(Buffer.from(expected, 'latin1'), Buffer.from(given.toLowerCase(), 'latin1'));
}

function formatAmount(minor: number): string {
  return `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
}

/** A handler for node:http; `processIndex` keeps order ids apart across processes. */
export function createCeilingHandler(store: CeilingStore, merchant: CeilingMerchant, publicUrl: string, processIndex: number) {
  const hostUrl = `${publicUrl}/pay`;
  const key = merchant.api_key;
  // 19-digit order ids like the gateway's: the date, the process, a counter.
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  const idPrefix = day + String(processIndex % 100).padStart(2, '0');
  let sequence = 0;
  // Nonces from a pool of random bytes, 32 at a time.
  const pool = Buffer.alloc(4096);
  let poolAt = pool.length;
  const nextNonce = () => {
    if (poolAt + 32 > pool.length) {
      randomFillSync(pool);
      poolAt = 0;
    }
    poolAt += 32;
    return pool.toString('hex', poolAt - 32, poolAt);
  };

  const answer = (response: ServerResponse, body: object) => {
    const json = JSON.stringify(body);
    response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
    response.end(json);
  };
  const refuse = (response: ServerResponse, code: number, message: string) => answer(response, { code, message });
  const fail = (response: ServerResponse) => (error: unknown) => {
    console.error(error);
    if (!response.headersSent) refuse(response, 1, 'FAIL');
  };

  function create(body: string, response: ServerResponse): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return refuse(response, 207, 'parameter is wrong: the body is not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return refuse(response, 207, 'parameter is wrong');
    const fields: Array<[string, string]> = [];
    const text: Record<string, string> = {};
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v !== 'string' && typeof v !== 'number') return refuse(response, 207, `parameter is wrong: ${k}`);
      fields.push([k, (text[k] = String(v))]);
    }
    for (const name of REQUIRED) if (!text[name]) return refuse(response, 207, `parameter is wrong: ${name} is required`);
    if (text.user_id !== merchant.user_id) return refuse(response, 301, 'user not found');
    if (!verifySorted(fields, key, text.signature)) return refuse(response, 201, 'signature is wrong');
    if (text.wallet_id !== merchant.wallet_id) return refuse(response, 302, 'wallet not assigned');
    const amount = AMOUNT.exec(text.amount);
    if (!amount) return refuse(response, 207, 'parameter is wrong: amount');
    const nonce = nextNonce();
    const order: CeilingOrder = {
      order_id: idPrefix + String(++sequence).padStart(9, '0'),
      user_id: text.user_id,
      wallet_id: text.wallet_id,
      merchant_reference: text.merchant_reference,
      amount_minor: Number(amount[1]) * 100 + Number((amount[2] ?? '').padEnd(2, '0')),
      currency: 'NZD',
      payment_method: text.payment_method,
      product_name: text.product_name,
      return_url: text.return_url,
      callback_url: text.callback_url,
      ip: text.ip,
      nonce,
      status: 'pending',
      created_at: Date.now(),
    };
    store.insert(order).then((inserted) => {
      if (!inserted) return refuse(response, 207, 'merchant_reference is already used');
      answer(response, { code: 0, message: 'SUCCESS', host_url: hostUrl, nonce, signature: hmacHex(key, nonce + hostUrl) });
    }, fail(response));
  }

  function query(url: string, response: ServerResponse): void {
    const q = url.indexOf('?');
    let reference: string;
    try {
      reference = decodeURIComponent(url.slice('/v2/transaction/'.length, q === -1 ? undefined : q));
    } catch {
      return refuse(response, 207, 'parameter is wrong');
    }
    const params = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const userId = params.get('user_id') ?? '';
    if (userId !== merchant.user_id) return refuse(response, 301, 'user not found');
    if (!verifySorted([['merchant_reference', reference], ...params], key, params.get('signature') ?? undefined)) return refuse(response, 201, 'signature is wrong');
    store.find(userId, reference).then((order) => {
      if (!order) return refuse(response, 5, 'order not found');
      const amount = formatAmount(Number(order.amount_minor));
      const signature = hmacHex(key, order.merchant_reference + order.payment_method + order.status + order.currency + amount);
      answer(response, {
        code: 0,
        message: 'SUCCESS',
        merchant_reference: order.merchant_reference,
        order_id: order.order_id,
        currency: order.currency,
        amount,
        payment_method: order.payment_method,
        status: order.status,
        pay_time: '',
        signature,
      });
    }, fail(response));
  }

  return (request: IncomingMessage, response: ServerResponse): void => {
    const url = request.url ?? '/';
    if (request.method === 'POST' && url === '/v2/transaction') {
      let body = '';
      request.setEncoding('utf8');
      request.on('data', (chunk: string) => {
        body += chunk;
        if (body.length > BODY_LIMIT) request.destroy();
      });
      request.on('end', () => create(body, response));
      return;
    }
    if (request.method === 'GET' && url.startsWith('/v2/transaction/')) return query(url, response);
    if (request.method === 'GET' && url === '/healthz') return answer(response, { status: 'ok' });
    response.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end('{"code":1,"message":"no such endpoint"}');
  };
}
