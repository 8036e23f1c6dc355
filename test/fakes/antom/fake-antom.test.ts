// Tests of the fake Antom server itself, driven by a tiny signing client written here on node:crypto
// (not the fake's helpers, and nothing from src/). Everything runs on 127.0.0.1; every server and
// timer is stopped in the after hooks; nothing asserts on timing.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FakeAntom, NOTIFICATION_ACK, type FakeAntomMerchant } from './fake-antom.js';

// ---------------------------------------------------------------------------------------------
// A tiny merchant: a key pair, a signing client, a notification receiver

interface Merchant {
  config: FakeAntomMerchant;
  privateKey: crypto.KeyObject;
  /** The keyVersion this client puts in its Signature header (default '1'). */
  keyVersion?: string;
}

function makeMerchant(clientId: string, extra: Partial<FakeAntomMerchant> = {}): Merchant {
  const pair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKeyPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { config: { clientId, publicKeyPem, ...extra }, privateKey: pair.privateKey };
}

function b64sign(message: string | Buffer, key: crypto.KeyObject): string {
  return crypto.sign('sha256', typeof message === 'string' ? Buffer.from(message, 'utf8') : message, key).toString('base64');
}

interface CallOptions {
  /** Request-Time header text (default: now in ms). */
  requestTime?: string;
  clientId?: string;
  keyVersion?: string | null;
  algorithm?: string;
  /** Sign these bytes instead of the body sent. */
  signedBody?: string;
  /** Sign with this key instead of the merchant's. */
  signingKey?: crypto.KeyObject;
  /** Turn the URL-encoded signature into something else before sending. */
  mangleSignature?: (urlEncoded: string, base64: string) => string;
  /** The exact Signature header (overrides everything). */
  signatureHeader?: string;
  noSignature?: boolean;
  sandbox?: boolean;
  /** Send this text as the body instead of JSON.stringify(body). */
  rawBody?: string;
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  path: string;
}

async function call(fake: FakeAntom, merchant: Merchant, endpoint: string, body: unknown, options: CallOptions = {}): Promise<Reply> {
  const path = `/ams/${options.sandbox ? 'sandbox/' : ''}api/v1/payments/${endpoint}`;
  const text = options.rawBody ?? JSON.stringify(body);
  const clientId = options.clientId ?? merchant.config.clientId;
  const requestTime = options.requestTime ?? String(Date.now());
  const base64 = b64sign(`POST ${path}\n${clientId}.${requestTime}.${options.signedBody ?? text}`, options.signingKey ?? merchant.privateKey);
  const encoded = encodeURIComponent(base64);
  const signature = options.mangleSignature ? options.mangleSignature(encoded, base64) : encoded;
  const keyVersion = options.keyVersion === undefined ? merchant.keyVersion ?? '1' : options.keyVersion;
  const headers: Record<string, string> = {
    'Content-Type': 'application/json; charset=UTF-8',
    'Client-Id': clientId,
    'Request-Time': requestTime,
  };
  if (!options.noSignature) {
    headers.Signature =
      options.signatureHeader ??
      `algorithm=${options.algorithm ?? 'RSA256'},${keyVersion === null ? '' : `keyVersion=${keyVersion},`}signature=${signature}`;
  }
  const res = await fetch(`${fake.baseUrl}${path}`, { method: 'POST', headers, body: text });
  const replyText = await res.text();
  return { status: res.status, headers: res.headers, text: replyText, json: replyText ? JSON.parse(replyText) : undefined, path };
}

/** Verifies an Antom answer or notification: POST <uri>\n<client-id>.<time>.<body> with Antom's key. */
function verifyAntom(uri: string, clientId: string, time: string | null, body: string, signatureHeader: string | null, antomKeyPem: string): boolean {
  if (!time || !signatureHeader) return false;
  const match = /(?:^|,)\s*signature=([^,]+)/.exec(signatureHeader);
  if (!match) return false;
  const base64 = decodeURIComponent(match[1].replace(/\+/g, ' '));
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return false;
  return crypto.verify('sha256', Buffer.from(`POST ${uri}\n${clientId}.${time}.${body}`, 'utf8'), crypto.createPublicKey(antomKeyPem), Buffer.from(base64, 'base64'));
}

function verifyReply(fake: FakeAntom, reply: Reply, clientId: string): boolean {
  return verifyAntom(reply.path, clientId, reply.headers.get('response-time'), reply.text, reply.headers.get('signature'), fake.antomPublicKeyPem);
}

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A loopback notify URL that records what it gets and answers as told. */
class Receiver {
  readonly received: Received[] = [];
  answer: (n: number) => { status: number; body?: string } | 'hang' = () => ({ status: 200, body: JSON.stringify(NOTIFICATION_ACK) });
  readonly #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = this.answer(this.received.length);
      if (answer === 'hang') return;
      res.writeHead(answer.status, { 'Content-Type': 'application/json' });
      res.end(answer.body ?? '');
    });
  });
  base = '';

  url(path = '/antom/notify'): string {
    return `${this.base}${path}`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function verifyNotification(fake: FakeAntom, received: Received, clientId: string): boolean {
  return verifyAntom(received.path, clientId, received.headers['request-time'] as string, received.body, received.headers.signature as string, fake.antomPublicKeyPem);
}

let counter = 0;
const nextId = (prefix: string) => `${prefix}_${Date.now()}_${++counter}`;

function cashierBody(paymentRequestId: string, extra: Record<string, unknown> = {}, terminal: Record<string, unknown> = { terminalType: 'WEB' }): Record<string, unknown> {
  return {
    productCode: 'CASHIER_PAYMENT',
    paymentRequestId,
    order: { orderAmount: { currency: 'NZD', value: '1000' }, orderDescription: 'Flat white x2', referenceOrderId: `ORDER_${paymentRequestId}` },
    paymentAmount: { currency: 'NZD', value: '1000' },
    paymentMethod: { paymentMethodType: 'ALIPAY_CN' },
    paymentRedirectUrl: 'https://shop.example/return',
    env: terminal,
    ...extra,
  };
}

function inStoreOrder(): Record<string, unknown> {
  return {
    orderAmount: { currency: 'NZD', value: '2550' },
    orderDescription: 'Lunch set',
    merchant: {
      referenceMerchantId: 'M001', merchantMCC: '5812', merchantName: 'Cafe Aroha',
      store: { referenceStoreId: 'S001', storeName: 'Cafe Aroha Queen St', storeMCC: '5812' },
    },
  };
}

function orderCodeBody(paymentRequestId: string, notifyUrl: string): Record<string, unknown> {
  return {
    productCode: 'IN_STORE_PAYMENT',
    paymentRequestId,
    order: inStoreOrder(),
    paymentAmount: { currency: 'NZD', value: '2550' },
    paymentMethod: { paymentMethodType: 'CONNECT_WALLET' },
    paymentFactor: { inStorePaymentScenario: 'OrderCode' },
    paymentNotifyUrl: notifyUrl,
  };
}

function paymentCodeBody(paymentRequestId: string, code: string, notifyUrl: string): Record<string, unknown> {
  const order = inStoreOrder();
  order.env = { storeTerminalId: 'T01', storeTerminalRequestTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
  return {
    productCode: 'IN_STORE_PAYMENT',
    paymentRequestId,
    order,
    paymentAmount: { currency: 'NZD', value: '2550' },
    paymentMethod: { paymentMethodType: 'CONNECT_WALLET', paymentMethodId: code },
    paymentFactor: { inStorePaymentScenario: 'PaymentCode' },
    paymentNotifyUrl: notifyUrl,
  };
}

function isSortedDeep(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(isSortedDeep);
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    return keys.join('\u0000') === [...keys].sort().join('\u0000') && keys.every((k) => isSortedDeep((value as Record<string, unknown>)[k]));
  }
  return true;
}

// ---------------------------------------------------------------------------------------------

describe('fake Antom', () => {
  let fake: FakeAntom;
  let receiver: Receiver;
  let merchant: Merchant;
  let other: Merchant;

  before(async () => {
    receiver = new Receiver();
    await receiver.start();
    merchant = makeMerchant('SANDBOX_5X00000000000001');
    other = makeMerchant('SANDBOX_5X00000000000002');
    merchant.config.paymentNotifyUrl = receiver.url('/antom/notify?m=1');
    merchant.config.refundNotifyUrl = receiver.url('/antom/refund-notify');
    fake = await FakeAntom.start({ merchants: [merchant.config, other.config], rates: { 'NZD/CNY': '4.2' } });
  });

  after(async () => {
    await fake.stop();
    await receiver.stop();
  });

  it('listens on 127.0.0.1 and exposes Antom public key as PEM and as the Dashboard base64', () => {
    assert.match(fake.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    const fromPem = crypto.createPublicKey(fake.antomPublicKeyPem).export({ type: 'spki', format: 'der' });
    assert.equal(fromPem.toString('base64'), fake.antomPublicKeyBase64);
  });

  describe('request verification', () => {
    it('a correctly signed cashier pay is accepted and the answer is signed over POST <uri>\\n<client-id>.<response-time>.<body>', async () => {
      const reply = await call(fake, merchant, 'pay', cashierBody(nextId('PAY')));
      assert.equal(reply.status, 200);
      assert.equal(reply.json.result.resultStatus, 'U');
      assert.equal(reply.json.result.resultCode, 'PAYMENT_IN_PROCESS');
      assert.equal(reply.headers.get('client-id'), merchant.config.clientId);
      assert.match(reply.headers.get('response-time') ?? '', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
      assert.match(reply.headers.get('signature') ?? '', /^algorithm=RSA256,keyVersion=1,signature=[A-Za-z0-9%]+$/);
      assert.equal(verifyReply(fake, reply, merchant.config.clientId), true);
      assert.ok(isSortedDeep(reply.json), 'keys in alphabetical order, like Antom');
      assert.equal(reply.text, JSON.stringify(reply.json), 'compact JSON');
    });

    it('accepts an ISO 8601 Request-Time (the Python SDK form), spaces in the Signature header and lower-case escapes', async () => {
      const iso = await call(fake, merchant, 'pay', cashierBody(nextId('PAY')), { requestTime: new Date().toISOString() });
      assert.equal(iso.json.result.resultCode, 'PAYMENT_IN_PROCESS');
      const body = cashierBody(nextId('PAY'));
      const text = JSON.stringify(body);
      const time = String(Date.now());
      const sig = encodeURIComponent(b64sign(`POST /ams/api/v1/payments/pay\n${merchant.config.clientId}.${time}.${text}`, merchant.privateKey));
      const spaced = await call(fake, merchant, 'pay', body, {
        requestTime: time,
        signatureHeader: `algorithm=RSA256, keyVersion=1, signature=${sig.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())}`,
      });
      assert.equal(spaced.json.result.resultCode, 'PAYMENT_IN_PROCESS');
      const noVersion = await call(fake, merchant, 'pay', cashierBody(nextId('PAY')), { keyVersion: null });
      assert.equal(noVersion.json.result.resultCode, 'PAYMENT_IN_PROCESS', 'keyVersion defaults to the latest key');
    });

    it('refuses bad signatures with INVALID_SIGNATURE, unsigned, and creates nothing', async () => {
      const wrongKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const cases: Array<[string, CallOptions]> = [
        ['no Signature header', { noSignature: true }],
        ['another key', { signingKey: wrongKey }],
        ['other bytes signed', { signedBody: '{}' }],
        ['algorithm RSA512', { algorithm: 'RSA512' }],
        ['not base64', { mangleSignature: () => 'not%20base64' }],
        ['stale Request-Time (6 min)', { requestTime: String(Date.now() - 6 * 60_000) }],
        ['garbage header', { signatureHeader: 'RSA256 abc' }],
      ];
      for (const [name, options] of cases) {
        const id = nextId('BADSIG');
        const reply = await call(fake, merchant, 'pay', cashierBody(id), options);
        assert.equal(reply.status, 200, name);
        assert.equal(reply.json.result.resultCode, 'INVALID_SIGNATURE', name);
        assert.equal(reply.json.result.resultStatus, 'F', name);
        assert.equal(reply.headers.get('signature'), null, `${name}: unsigned`);
        assert.equal(fake.payment(id), undefined, `${name}: nothing created`);
      }
    });

    it('an un-encoded signature whose base64 contains "+" fails (URLDecoder turns it into a space)', async () => {
      let body = cashierBody(nextId('PLUS'));
      let time = String(Date.now());
      let base64 = '';
      for (let i = 0; i < 50; i++) {
        body = cashierBody(nextId('PLUS'));
        time = String(Date.now());
        base64 = b64sign(`POST /ams/api/v1/payments/pay\n${merchant.config.clientId}.${time}.${JSON.stringify(body)}`, merchant.privateKey);
        if (base64.includes('+')) break;
      }
      assert.ok(base64.includes('+'));
      const reply = await call(fake, merchant, 'pay', body, { requestTime: time, mangleSignature: (_enc, raw) => raw });
      assert.equal(reply.json.result.resultCode, 'INVALID_SIGNATURE');
    });

    it('KEY_NOT_FOUND for an unknown client or key version; PARAM_ILLEGAL for a missing Request-Time', async () => {
      const unknown = await call(fake, merchant, 'pay', cashierBody(nextId('PAY')), { clientId: 'SANDBOX_UNKNOWN' });
      assert.equal(unknown.json.result.resultCode, 'KEY_NOT_FOUND');
      const version = await call(fake, merchant, 'pay', cashierBody(nextId('PAY')), { keyVersion: '7' });
      assert.equal(version.json.result.resultCode, 'KEY_NOT_FOUND');
      const noTime = await call(fake, merchant, 'pay', cashierBody(nextId('PAY')), { requestTime: '' });
      assert.equal(noTime.json.result.resultCode, 'PARAM_ILLEGAL');
      const seconds = await call(fake, merchant, 'pay', cashierBody(nextId('PAY')), { requestTime: String(Math.floor(Date.now() / 1000)) });
      assert.equal(seconds.json.result.resultCode, 'PARAM_ILLEGAL', 'seconds are not milliseconds');
    });

    it('answers unknown paths and other methods without touching anything', async () => {
      const res = await fetch(`${fake.baseUrl}/ams/api/v1/payments/nothing`, { method: 'POST', body: '{}' });
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { result: { resultCode: string } }).result.resultCode, 'NO_INTERFACE_DEF');
      const get = await fetch(`${fake.baseUrl}/ams/api/v1/payments/pay`);
      assert.equal(get.status, 405);
    });

    it('the sandbox path /ams/sandbox/api/... is signed as such', async () => {
      const reply = await call(fake, merchant, 'pay', cashierBody(nextId('SBX')), { sandbox: true });
      assert.equal(reply.json.result.resultCode, 'PAYMENT_IN_PROCESS');
      assert.ok(reply.path.startsWith('/ams/sandbox/api/'));
      assert.equal(verifyReply(fake, reply, merchant.config.clientId), true);
      assert.equal(verifyAntom('/ams/api/v1/payments/pay', merchant.config.clientId, reply.headers.get('response-time'), reply.text, reply.headers.get('signature'), fake.antomPublicKeyPem), false);
    });
  });

  describe('pay (CASHIER_PAYMENT)', () => {
    it('WEB: normalUrl, redirectActionForm and an order code, all on loopback; amounts as strings of minor units', async () => {
      const id = nextId('WEB');
      const reply = await call(fake, merchant, 'pay', cashierBody(id));
      const a = reply.json;
      assert.equal(a.paymentRequestId, id);
      assert.match(a.paymentId, /^\d{35}$/);
      assert.deepEqual(a.paymentAmount, { currency: 'NZD', value: '1000' });
      assert.ok(a.normalUrl.startsWith(`${fake.baseUrl}/cashier/`));
      assert.equal(a.redirectActionForm.redirectUrl, a.normalUrl);
      assert.equal(a.orderCodeForm.codeDetails.length, 4);
      assert.deepEqual(a.orderCodeForm.codeDetails.map((d: { displayType: string }) => d.displayType), ['TEXT', 'BIGIMAGE', 'MIDDLEIMAGE', 'SMALLIMAGE']);
      assert.equal(fake.payment(id)?.status, 'PROCESSING');
      const page = await fetch(a.normalUrl);
      assert.equal(page.status, 200);
    });

    it('WAP/APP: osType is required; the answer has schemeUrl and applinkUrl too', async () => {
      const missing = await call(fake, merchant, 'pay', cashierBody(nextId('WAP'), {}, { terminalType: 'WAP' }));
      assert.equal(missing.json.result.resultCode, 'PARAM_ILLEGAL');
      assert.match(missing.json.result.resultMessage, /env\.osType/);
      const reply = await call(fake, merchant, 'pay', cashierBody(nextId('WAP'), {}, { terminalType: 'WAP', osType: 'IOS' }));
      assert.ok(reply.json.normalUrl && reply.json.schemeUrl && reply.json.applinkUrl);
      assert.equal(reply.json.orderCodeForm, undefined);
    });

    it('required fields and types give PARAM_ILLEGAL (signed) naming the field', async () => {
      const cases: Array<[string, (b: Record<string, unknown>) => void, RegExp]> = [
        ['paymentRedirectUrl', (b) => delete b.paymentRedirectUrl, /paymentRedirectUrl/],
        ['numeric amount', (b) => (b.paymentAmount = { currency: 'NZD', value: 1000 }), /paymentAmount\.value must be a string/],
        ['decimal amount', (b) => (b.paymentAmount = { currency: 'NZD', value: '10.00' }), /digits only/],
        ['zero amount', (b) => (b.paymentAmount = { currency: 'NZD', value: '0' }), /at least 1/],
        ['currency', (b) => (b.paymentAmount = { currency: 'nzd', value: '100' }), /currency/],
        ['terminalType', (b) => (b.env = {}), /env\.terminalType/],
        ['referenceOrderId', (b) => delete (b.order as Record<string, unknown>).referenceOrderId, /referenceOrderId/],
        ['paymentRequestId too long', (b) => (b.paymentRequestId = 'x'.repeat(65)), /paymentRequestId/],
        ['method type', (b) => (b.paymentMethod = { paymentMethodType: 'WECHATPAY' }), /paymentMethodType/],
        ['productCode', (b) => (b.productCode = 'AGREEMENT_PAYMENT'), /productCode/],
      ];
      for (const [name, spoil, message] of cases) {
        const body = cashierBody(nextId('PARAM'));
        spoil(body);
        const reply = await call(fake, merchant, 'pay', body);
        assert.equal(reply.json.result.resultCode, 'PARAM_ILLEGAL', name);
        assert.equal(reply.json.result.resultStatus, 'F', name);
        assert.match(reply.json.result.resultMessage, message, name);
        assert.equal(verifyReply(fake, reply, merchant.config.clientId), true, `${name}: signed`);
      }
      const notJson = await call(fake, merchant, 'pay', {}, { rawBody: 'paymentRequestId=1' });
      assert.equal(notJson.json.result.resultCode, 'PARAM_ILLEGAL');
    });

    it('idempotent per paymentRequestId: a repeat answers the same; other key values give REPEAT_REQ_INCONSISTENT', async () => {
      const id = nextId('IDEM');
      const first = await call(fake, merchant, 'pay', cashierBody(id));
      // The same request serialised differently (the signature covers the new bytes) is still a repeat.
      const reordered = Object.fromEntries(Object.entries(cashierBody(id)).reverse());
      const again = await call(fake, merchant, 'pay', reordered, { rawBody: JSON.stringify(reordered, null, 2) });
      assert.equal(again.json.paymentId, first.json.paymentId);
      assert.equal(again.json.normalUrl, first.json.normalUrl);
      assert.equal(again.json.result.resultCode, 'PAYMENT_IN_PROCESS');
      const changed = await call(fake, merchant, 'pay', cashierBody(id, { paymentAmount: { currency: 'NZD', value: '1001' } }));
      assert.equal(changed.json.result.resultCode, 'REPEAT_REQ_INCONSISTENT');
      assert.equal(changed.json.result.resultStatus, 'F');
      assert.equal(fake.payment(id)?.amount.value, '1000');
      // Another merchant may use the same paymentRequestId.
      const theirs = await call(fake, other, 'pay', cashierBody(id));
      assert.notEqual(theirs.json.paymentId, first.json.paymentId);
      assert.throws(() => fake.payment(id), /several merchants/);
      assert.equal(fake.payment(id, other.config.clientId)?.paymentId, theirs.json.paymentId);
    });

    it('pay(): SUCCESS, a signed notifyPayment to the merchant URL, the payer amount in CNY; repeats and inquiry agree', async () => {
      const id = nextId('PAID');
      const before = receiver.received.length;
      await call(fake, merchant, 'pay', cashierBody(id));
      const record = await fake.pay(id);
      assert.ok(record);
      assert.equal(record.acknowledged, true);
      assert.equal(record.attempts[0].exactAcknowledgement, true);
      const got = receiver.received[before];
      assert.equal(got.path, '/antom/notify?m=1');
      assert.equal(got.headers['client-id'], merchant.config.clientId);
      assert.match(String(got.headers['request-time']), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/);
      assert.equal(verifyNotification(fake, got, merchant.config.clientId), true, 'signed over the notify path and query');
      const n = JSON.parse(got.body);
      assert.equal(n.notifyType, 'PAYMENT_RESULT');
      assert.deepEqual(n.result, { resultCode: 'SUCCESS', resultMessage: 'success.', resultStatus: 'S' });
      assert.deepEqual(n.paymentAmount, { currency: 'NZD', value: '1000' });
      assert.deepEqual(n.actualPaymentAmount, { currency: 'NZD', value: '1000' });
      assert.deepEqual(n.customsDeclarationAmount, { currency: 'CNY', value: '4200' }, 'NZD 10.00 × 4.2 = CNY 42.00');
      assert.ok(n.paymentTime && n.paymentCreateTime);

      const inquiry = await call(fake, merchant, 'inquiryPayment', { paymentRequestId: id });
      assert.equal(inquiry.json.result.resultStatus, 'S');
      assert.equal(inquiry.json.paymentStatus, 'SUCCESS');
      assert.equal(inquiry.json.paymentResultCode, 'SUCCESS');
      assert.deepEqual(inquiry.json.customsDeclarationAmount, { currency: 'CNY', value: '4200' });
      const byPaymentId = await call(fake, merchant, 'inquiryPayment', { paymentId: inquiry.json.paymentId, paymentRequestId: 'ignored-when-paymentId-given' });
      assert.equal(byPaymentId.json.paymentStatus, 'SUCCESS');
      const repeat = await call(fake, merchant, 'pay', cashierBody(id));
      assert.equal(repeat.json.result.resultStatus, 'S');
      assert.equal(repeat.json.paymentId, inquiry.json.paymentId);
      await assert.rejects(() => fake.pay(id), /only PROCESSING/);
    });

    it('decline() and expire(): FAIL, notified with result F; inquiry and a repeated pay show the failure', async () => {
      const declined = nextId('DECL');
      await call(fake, merchant, 'pay', cashierBody(declined));
      const d = await fake.decline(declined);
      assert.ok(d);
      assert.equal(JSON.parse(d.body).result.resultStatus, 'F');
      assert.equal(JSON.parse(d.body).result.resultCode, 'USER_BALANCE_NOT_ENOUGH');
      const q = await call(fake, merchant, 'inquiryPayment', { paymentRequestId: declined });
      assert.equal(q.json.paymentStatus, 'FAIL');
      assert.equal(q.json.paymentResultCode, 'USER_BALANCE_NOT_ENOUGH');
      const again = await call(fake, merchant, 'pay', cashierBody(declined));
      assert.equal(again.json.result.resultCode, 'USER_BALANCE_NOT_ENOUGH');

      const expired = nextId('EXP');
      await call(fake, merchant, 'pay', cashierBody(expired));
      const e = await fake.expire(expired, { notify: false });
      assert.equal(e, undefined);
      const q2 = await call(fake, merchant, 'inquiryPayment', { paymentRequestId: expired });
      assert.equal(q2.json.paymentStatus, 'FAIL');
      assert.equal(q2.json.paymentResultCode, 'ORDER_IS_CLOSED');
    });

    it('inquiryPayment and cancel of an unknown payment: ORDER_NOT_EXIST; neither id: PARAM_ILLEGAL', async () => {
      const q = await call(fake, merchant, 'inquiryPayment', { paymentRequestId: nextId('NOPE') });
      assert.equal(q.json.result.resultCode, 'ORDER_NOT_EXIST');
      assert.equal(q.json.result.resultStatus, 'F');
      const c = await call(fake, merchant, 'cancel', { paymentRequestId: nextId('NOPE') });
      assert.equal(c.json.result.resultCode, 'ORDER_NOT_EXIST');
      const none = await call(fake, merchant, 'inquiryPayment', {});
      assert.equal(none.json.result.resultCode, 'PARAM_ILLEGAL');
    });

    it('cancel: a PROCESSING payment is closed (repeatable), then cannot be paid; a paid one outside the window is refused', async () => {
      const id = nextId('CNL');
      await call(fake, merchant, 'pay', cashierBody(id));
      const c = await call(fake, merchant, 'cancel', { paymentRequestId: id });
      assert.equal(c.json.result.resultStatus, 'S');
      assert.ok(c.json.cancelTime);
      const c2 = await call(fake, merchant, 'cancel', { paymentRequestId: id });
      assert.equal(c2.json.result.resultStatus, 'S');
      assert.equal(c2.json.cancelTime, c.json.cancelTime);
      assert.equal(fake.payment(id)?.status, 'CANCELLED');
      await assert.rejects(() => fake.pay(id), /CANCELLED/);
      const q = await call(fake, merchant, 'inquiryPayment', { paymentRequestId: id });
      assert.equal(q.json.paymentStatus, 'CANCELLED');
      const repeat = await call(fake, merchant, 'pay', cashierBody(id));
      assert.equal(repeat.json.result.resultStatus, 'F');
    });
  });

  describe('refund and inquiryRefund', () => {
    let paymentId = '';
    let paymentRequestId = '';

    before(async () => {
      paymentRequestId = nextId('RFDPAY');
      const reply = await call(fake, merchant, 'pay', cashierBody(paymentRequestId));
      paymentId = reply.json.paymentId;
      await fake.pay(paymentRequestId, { notify: false });
    });

    const refundBody = (refundRequestId: string, value: string, extra: Record<string, unknown> = {}) => ({
      refundRequestId, paymentId, refundAmount: { currency: 'NZD', value }, refundReason: 'customer request', ...extra,
    });

    it('a partial refund is accepted as U / REFUND_IN_PROCESS; a repeat answers the same refund; other content is inconsistent', async () => {
      const rid = nextId('RFD');
      const first = await call(fake, merchant, 'refund', refundBody(rid, '300'));
      assert.equal(first.json.result.resultStatus, 'U');
      assert.equal(first.json.result.resultCode, 'REFUND_IN_PROCESS');
      assert.equal(first.json.refundRequestId, rid);
      assert.equal(verifyReply(fake, first, merchant.config.clientId), true);
      const again = await call(fake, merchant, 'refund', refundBody(rid, '300'));
      assert.equal(again.json.refundId, first.json.refundId);
      const changed = await call(fake, merchant, 'refund', refundBody(rid, '301'));
      assert.equal(changed.json.result.resultCode, 'REPEAT_REQ_INCONSISTENT');
      assert.equal(fake.refundsOf(paymentRequestId).filter((r) => r.refundRequestId === rid).length, 1);

      const before = receiver.received.length;
      const record = await fake.completeRefund(rid, 'SUCCESS');
      assert.ok(record?.acknowledged);
      const got = receiver.received[before];
      assert.equal(got.path, '/antom/refund-notify');
      assert.equal(verifyNotification(fake, got, merchant.config.clientId), true);
      const n = JSON.parse(got.body);
      assert.equal(n.notifyType, 'REFUND_RESULT');
      assert.equal(n.refundStatus, 'SUCCESS');
      assert.deepEqual(n.refundAmount, { currency: 'NZD', value: '300' });
      const q = await call(fake, merchant, 'inquiryRefund', { refundRequestId: rid });
      assert.equal(q.json.refundStatus, 'SUCCESS');
      assert.ok(q.json.refundTime);
      const repeatDone = await call(fake, merchant, 'refund', refundBody(rid, '300'));
      assert.equal(repeatDone.json.result.resultStatus, 'S');
    });

    it('never refunds over the paid amount (REFUND_AMOUNT_EXCEED creates nothing); a FAIL refund frees its amount', async () => {
      const big = nextId('RFD');
      const refused = await call(fake, merchant, 'refund', refundBody(big, '701'));
      assert.equal(refused.json.result.resultCode, 'REFUND_AMOUNT_EXCEED');
      assert.equal(fake.refund(big), undefined);
      const rest = nextId('RFD');
      const ok = await call(fake, merchant, 'refund', refundBody(rest, '700'));
      assert.equal(ok.json.result.resultCode, 'REFUND_IN_PROCESS');
      const oneMore = await call(fake, merchant, 'refund', refundBody(nextId('RFD'), '1'));
      assert.equal(oneMore.json.result.resultCode, 'REFUND_AMOUNT_EXCEED');
      const failed = await fake.completeRefund(rest, 'FAIL');
      assert.equal(JSON.parse(failed?.body ?? '{}').refundStatus, 'FAIL');
      const q = await call(fake, merchant, 'inquiryRefund', { refundRequestId: rest });
      assert.equal(q.json.refundStatus, 'FAIL');
      const retry = await call(fake, merchant, 'refund', refundBody(nextId('RFD'), '700'));
      assert.equal(retry.json.result.resultCode, 'REFUND_IN_PROCESS');
    });

    it('refund of an unknown or unpaid payment, a wrong currency, an unknown refund inquiry', async () => {
      const unknown = await call(fake, merchant, 'refund', { refundRequestId: nextId('RFD'), paymentId: '2025000000', refundAmount: { currency: 'NZD', value: '1' } });
      assert.equal(unknown.json.result.resultCode, 'ORDER_NOT_EXIST');
      const unpaidId = nextId('UNPAID');
      const unpaid = await call(fake, merchant, 'pay', cashierBody(unpaidId));
      const r = await call(fake, merchant, 'refund', { refundRequestId: nextId('RFD'), paymentId: unpaid.json.paymentId, refundAmount: { currency: 'NZD', value: '1' } });
      assert.equal(r.json.result.resultCode, 'ORDER_STATUS_INVALID');
      const currency = await call(fake, merchant, 'refund', refundBody(nextId('RFD'), '1', { refundAmount: { currency: 'CNY', value: '1' } }));
      assert.equal(currency.json.result.resultCode, 'PARAM_ILLEGAL');
      const q = await call(fake, merchant, 'inquiryRefund', { refundRequestId: nextId('NOPE') });
      assert.equal(q.json.result.resultCode, 'REFUND_NOT_EXIST');
      const otherMerchant = await call(fake, other, 'refund', refundBody(nextId('RFD'), '1'));
      assert.equal(otherMerchant.json.result.resultCode, 'ORDER_NOT_EXIST', 'payments are per client');
      const cancelPaid = await call(fake, merchant, 'cancel', { paymentRequestId });
      assert.equal(cancelPaid.json.result.resultCode, 'ORDER_STATUS_INVALID', 'a payment with refunds is not cancelled');
    });
  });

  describe('in-store', () => {
    it('OrderCode: S with the order code to show; the payment stays PROCESSING until the customer pays', async () => {
      const id = nextId('OC');
      const reply = await call(fake, merchant, 'pay', orderCodeBody(id, receiver.url('/instore')));
      assert.equal(reply.json.result.resultStatus, 'S');
      assert.equal(reply.json.orderCodeForm.codeDetails[0].displayType, 'TEXT');
      assert.ok(reply.json.orderCodeForm.codeDetails[0].codeValue);
      assert.equal(fake.payment(id)?.status, 'PROCESSING');
      const q = await call(fake, merchant, 'inquiryPayment', { paymentRequestId: id });
      assert.equal(q.json.paymentStatus, 'PROCESSING');
      const record = await fake.pay(id);
      assert.equal(record?.url, receiver.url('/instore'));
      const missing = orderCodeBody(nextId('OC'), receiver.url());
      delete missing.paymentNotifyUrl;
      assert.equal((await call(fake, merchant, 'pay', missing)).json.result.resultCode, 'PARAM_ILLEGAL');
      const noStore = orderCodeBody(nextId('OC'), receiver.url());
      delete ((noStore.order as Record<string, unknown>).merchant as Record<string, unknown>).store;
      assert.match((await call(fake, merchant, 'pay', noStore)).json.result.resultMessage, /order\.merchant\.store/);
    });

    it('PaymentCode paid at once: S with paymentTime, then notifyPayment', async () => {
      const id = nextId('UPM');
      fake.presentCode('281000000000000001', 'paid');
      const reply = await call(fake, merchant, 'pay', paymentCodeBody(id, '281000000000000001', receiver.url('/upm')));
      assert.equal(reply.json.result.resultStatus, 'S');
      assert.equal(reply.json.result.resultCode, 'SUCCESS');
      assert.ok(reply.json.paymentTime);
      assert.deepEqual(reply.json.customsDeclarationAmount, { currency: 'CNY', value: '10710' });
      await fake.idle();
      const n = fake.notifications.find((x) => x.paymentRequestId === id);
      assert.ok(n?.acknowledged);
    });

    it('PaymentCode the user must confirm: U / PAYMENT_IN_PROCESS, PROCESSING until pay()', async () => {
      const id = nextId('UPM');
      fake.presentCode('281000000000000002', 'confirm');
      const reply = await call(fake, merchant, 'pay', paymentCodeBody(id, '281000000000000002', receiver.url('/upm')));
      assert.equal(reply.json.result.resultStatus, 'U');
      assert.equal(reply.json.result.resultCode, 'PAYMENT_IN_PROCESS');
      const q1 = await call(fake, merchant, 'inquiryPayment', { paymentRequestId: id });
      assert.equal(q1.json.paymentStatus, 'PROCESSING');
      await fake.pay(id);
      const q2 = await call(fake, merchant, 'inquiryPayment', { paymentRequestId: id });
      assert.equal(q2.json.paymentStatus, 'SUCCESS');
    });

    it('PaymentCode declined: F with the reason', async () => {
      const id = nextId('UPM');
      fake.presentCode('281000000000000003', 'declined');
      const reply = await call(fake, merchant, 'pay', paymentCodeBody(id, '281000000000000003', receiver.url('/upm')));
      assert.equal(reply.json.result.resultStatus, 'F');
      assert.equal(reply.json.result.resultCode, 'USER_BALANCE_NOT_ENOUGH');
      assert.equal(fake.payment(id)?.status, 'FAIL');
    });

    it('PaymentCode unknown: U / UNKNOWN_EXCEPTION; inquiry says PROCESSING until decided; a repeat says PAYMENT_IN_PROCESS', async () => {
      const id = nextId('UPM');
      fake.presentCode('281000000000000004', 'unknown');
      const body = paymentCodeBody(id, '281000000000000004', receiver.url('/upm'));
      const reply = await call(fake, merchant, 'pay', body);
      assert.equal(reply.json.result.resultCode, 'UNKNOWN_EXCEPTION');
      assert.equal(reply.json.result.resultStatus, 'U');
      const q = await call(fake, merchant, 'inquiryPayment', { paymentRequestId: id });
      assert.equal(q.json.paymentStatus, 'PROCESSING');
      const repeat = await call(fake, merchant, 'pay', body);
      assert.equal(repeat.json.result.resultCode, 'PAYMENT_IN_PROCESS');
      await fake.decline(id, { resultCode: 'USER_PAYMENT_VERIFICATION_FAILED', notify: false });
      const final = await call(fake, merchant, 'inquiryPayment', { paymentRequestId: id });
      assert.equal(final.json.paymentStatus, 'FAIL');
      assert.equal(final.json.paymentResultCode, 'USER_PAYMENT_VERIFICATION_FAILED');
    });

    it('PaymentCode lost: U and nothing created (ORDER_NOT_EXIST); the same request again creates it', async () => {
      const id = nextId('UPM');
      fake.presentCode('281000000000000005', 'lost');
      const body = paymentCodeBody(id, '281000000000000005', receiver.url('/upm'));
      assert.equal((await call(fake, merchant, 'pay', body)).json.result.resultStatus, 'U');
      assert.equal((await call(fake, merchant, 'inquiryPayment', { paymentRequestId: id })).json.result.resultCode, 'ORDER_NOT_EXIST');
      const again = await call(fake, merchant, 'pay', body);
      assert.equal(again.json.result.resultCode, 'SUCCESS', 'the default outcome: paid');
      const missingCode = paymentCodeBody(nextId('UPM'), 'x', receiver.url());
      delete (missingCode.paymentMethod as Record<string, unknown>).paymentMethodId;
      assert.match((await call(fake, merchant, 'pay', missingCode)).json.result.resultMessage, /paymentMethodId/);
      const otherCode = await call(fake, merchant, 'pay', { ...body, paymentMethod: { paymentMethodType: 'CONNECT_WALLET', paymentMethodId: '289999' } });
      assert.equal(otherCode.json.result.resultCode, 'REPEAT_REQ_INCONSISTENT', 'paymentMethodId is a key field');
    });
  });

  describe('failure injection', () => {
    it('{status}: answered before processing; {dropConnection, afterProcessing}: the payment exists, the answer is lost', async () => {
      const a = nextId('INJ');
      fake.failNext('pay', { status: 503 });
      const reply = await call(fake, merchant, 'pay', cashierBody(a));
      assert.equal(reply.status, 503);
      assert.equal(reply.json.result.resultCode, 'UNKNOWN_EXCEPTION');
      assert.equal(fake.payment(a), undefined);
      const b = nextId('INJ');
      fake.failNext('pay', { dropConnection: true, afterProcessing: true });
      await assert.rejects(() => call(fake, merchant, 'pay', cashierBody(b)));
      assert.equal(fake.payment(b)?.status, 'PROCESSING');
      const retry = await call(fake, merchant, 'pay', cashierBody(b));
      assert.equal(retry.json.paymentId, fake.payment(b)?.paymentId);
    });

    it('{result} answers a signed result instead; afterProcessing keeps the effect', async () => {
      const id = nextId('INJ');
      fake.failNext('pay', { result: { resultCode: 'UNKNOWN_EXCEPTION', resultStatus: 'U', resultMessage: 'unknown' }, afterProcessing: true });
      const reply = await call(fake, merchant, 'pay', cashierBody(id));
      assert.deepEqual(reply.json, { result: { resultCode: 'UNKNOWN_EXCEPTION', resultMessage: 'unknown', resultStatus: 'U' } });
      assert.equal(verifyReply(fake, reply, merchant.config.clientId), true);
      assert.equal(fake.payment(id)?.status, 'PROCESSING');
      fake.failNext(/inquiryPayment/, { result: { resultCode: 'REQUEST_TRAFFIC_EXCEED_LIMIT', resultStatus: 'U', resultMessage: 'busy' } });
      const q = await call(fake, merchant, 'inquiryPayment', { paymentRequestId: id });
      assert.equal(q.json.result.resultCode, 'REQUEST_TRAFFIC_EXCEED_LIMIT');
    });

    it('{badResponseSignature} and {unsignedResponse} spoil the answer only; {delayMs} holds it', async () => {
      fake.failNext('inquiryPayment', { badResponseSignature: true });
      const bad = await call(fake, merchant, 'inquiryPayment', { paymentRequestId: nextId('X') });
      assert.ok(bad.headers.get('signature'));
      assert.equal(verifyReply(fake, bad, merchant.config.clientId), false);
      fake.failNext('inquiryPayment', { unsignedResponse: true });
      const unsigned = await call(fake, merchant, 'inquiryPayment', { paymentRequestId: nextId('X') });
      assert.equal(unsigned.headers.get('signature'), null);
      assert.equal(unsigned.headers.get('response-time'), null);
      fake.failNext('inquiryPayment', { delayMs: 50 });
      const slow = await call(fake, merchant, 'inquiryPayment', { paymentRequestId: nextId('X') });
      assert.equal(slow.json.result.resultCode, 'ORDER_NOT_EXIST');
      const log = fake.requestsTo('inquiryPayment').slice(-3);
      assert.deepEqual(log.map((e) => Boolean(e.injected)), [true, true, true]);
      assert.deepEqual(log.map((e) => e.signed), [true, false, true]);
    });
  });

  describe('notifications', () => {
    it('retried until the documented answer: a 500, then HTTP 200 with another body, then the acknowledgement', async () => {
      const id = nextId('RETRY');
      await call(fake, merchant, 'pay', cashierBody(id));
      const start = receiver.received.length;
      receiver.answer = (n) => {
        const k = n - start;
        if (k === 1) return { status: 500 };
        if (k === 2) return { status: 200, body: 'OK' };
        return { status: 200, body: JSON.stringify(NOTIFICATION_ACK) };
      };
      try {
        const record = await fake.pay(id);
        assert.ok(record);
        assert.equal(record.acknowledged, false);
        const second = await fake.redeliver(record.id);
        assert.equal(second.acknowledged, false, 'HTTP 200 alone is not an acknowledgement');
        const third = await fake.redeliver(record.id);
        assert.equal(third.acknowledged, true);
        assert.equal(record.acknowledged, true);
        const bodies = receiver.received.slice(start).map((r) => r.body);
        assert.equal(new Set(bodies).size, 1, 'the same body each time');
        const times = receiver.received.slice(start).map((r) => r.headers['request-time']);
        assert.equal(times.length, 3);
      } finally {
        receiver.answer = () => ({ status: 200, body: JSON.stringify(NOTIFICATION_ACK) });
      }
    });

    it('an acknowledgement with another resultMessage stops retries but is flagged as not exact', async () => {
      const id = nextId('ACK');
      await call(fake, merchant, 'pay', cashierBody(id));
      receiver.answer = () => ({ status: 200, body: '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"ok"}}' });
      try {
        const record = await fake.pay(id);
        assert.equal(record?.attempts[0].acknowledged, true);
        assert.equal(record?.attempts[0].exactAcknowledgement, false);
      } finally {
        receiver.answer = () => ({ status: 200, body: JSON.stringify(NOTIFICATION_ACK) });
      }
    });

    it('automatic redelivery with retryDelaysMs, and no connection outside loopback', async () => {
      const quick = makeMerchant('SANDBOX_RETRY', { paymentNotifyUrl: 'https://merchant.example/notify' });
      const f = await FakeAntom.start({ merchants: [quick.config], retryDelaysMs: [10, 10] });
      try {
        const id = nextId('FAR');
        await call(f, quick, 'pay', cashierBody(id));
        const record = await f.pay(id);
        await f.idle();
        assert.equal(record?.attempts.length, 3, 'first attempt + 2 retries');
        assert.ok(record?.attempts.every((a) => a.error === 'refused-non-loopback'));
        const noUrl = makeMerchant('SANDBOX_NOURL');
        const g = await FakeAntom.start({ merchants: [noUrl.config] });
        try {
          const nid = nextId('NOURL');
          await call(g, noUrl, 'pay', cashierBody(nid));
          const r = await g.pay(nid);
          assert.equal(r?.attempts[0].error, 'no-url');
        } finally {
          await g.stop();
        }
      } finally {
        await f.stop();
      }
    });

    it('notifyRaw: bad signature, stale time, unknown keyVersion, tampered amount, duplicate — the payment is unchanged', async () => {
      const id = nextId('RAW');
      await call(fake, merchant, 'pay', cashierBody(id));
      const start = receiver.received.length;
      await fake.notifyRaw(id, { badSignature: true });
      assert.equal(verifyNotification(fake, receiver.received[start], merchant.config.clientId), false);
      await fake.notifyRaw(id, { staleTimeSeconds: 600 });
      const stale = receiver.received[start + 1];
      assert.equal(verifyNotification(fake, stale, merchant.config.clientId), true, 'the signature is good; only the time is old');
      assert.ok(Date.now() - Date.parse(String(stale.headers['request-time'])) >= 590_000);
      await fake.notifyRaw(id, { unknownKeyVersion: true });
      assert.match(String(receiver.received[start + 2].headers.signature), /keyVersion=101,/);
      await fake.notifyRaw(id, { amount: '1', currency: 'USD' });
      assert.deepEqual(JSON.parse(receiver.received[start + 3].body).paymentAmount, { currency: 'USD', value: '1' });
      const dup = await fake.notifyRaw(id, { duplicate: true });
      assert.equal(dup.attempts.length, 2);
      assert.equal(receiver.received[start + 4].body, receiver.received[start + 5].body);
      assert.equal(fake.payment(id)?.status, 'PROCESSING');
    });
  });
});

describe('fake Antom: quotes, settlement, refunds at once, key rotation', () => {
  let fake: FakeAntom;
  let receiver: Receiver;
  let merchant: Merchant;
  let rotatedOld: crypto.KeyObject;

  before(async () => {
    receiver = new Receiver();
    await receiver.start();
    merchant = makeMerchant('SANDBOX_ROTATED', { keyVersion: '1' });
    rotatedOld = merchant.privateKey;
    const next = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
    merchant.config.extraKeys = [{ keyVersion: '2', publicKeyPem: next.publicKey.export({ type: 'spki', format: 'der' }).toString('base64') }];
    merchant.privateKey = next.privateKey;
    merchant.keyVersion = '2';
    merchant.config.paymentNotifyUrl = receiver.url('/n');
    fake = await FakeAntom.start({
      merchants: [merchant.config],
      rates: { 'NZD/CNY': '4.2345' },
      quoteStyle: 'actual',
      settlement: { currency: 'USD', rate: '0.6' },
      refundResult: 'SUCCESS',
      paymentCodeOutcome: 'confirm',
    });
  });

  after(async () => {
    await fake.stop();
    await receiver.stop();
  });

  it('keyVersion picks the key; without it the latest (2) is used; the old key still works as version 1', async () => {
    const latest = await call(fake, merchant, 'pay', cashierBody(nextId('ROT')), { keyVersion: null });
    assert.equal(latest.json.result.resultCode, 'PAYMENT_IN_PROCESS');
    const v2 = await call(fake, merchant, 'pay', cashierBody(nextId('ROT')), { keyVersion: '2' });
    assert.equal(v2.json.result.resultCode, 'PAYMENT_IN_PROCESS');
    const v1 = await call(fake, merchant, 'pay', cashierBody(nextId('ROT')), { keyVersion: '1', signingKey: rotatedOld });
    assert.equal(v1.json.result.resultCode, 'PAYMENT_IN_PROCESS');
    const mismatch = await call(fake, merchant, 'pay', cashierBody(nextId('ROT')), { keyVersion: '1' });
    assert.equal(mismatch.json.result.resultCode, 'INVALID_SIGNATURE');
  });

  it("quoteStyle 'actual': the payer amount in actualPaymentAmount with paymentQuote; settlement amount and quote", async () => {
    const id = nextId('Q');
    await call(fake, merchant, 'pay', cashierBody(id));
    const record = await fake.pay(id);
    const n = JSON.parse(record?.body ?? '{}');
    assert.deepEqual(n.actualPaymentAmount, { currency: 'CNY', value: '4235' }, 'NZD 10.00 × 4.2345 = CNY 42.345 → 42.35');
    assert.equal(n.paymentQuote.quoteCurrencyPair, 'NZD/CNY');
    assert.equal(n.paymentQuote.quotePrice, '4.2345');
    assert.deepEqual(n.customsDeclarationAmount, { currency: 'CNY', value: '4235' });
    assert.deepEqual(n.grossSettlementAmount, { currency: 'USD', value: '600' });
    assert.equal(n.settlementQuote.quoteCurrencyPair, 'USD/NZD');
    const custom = nextId('Q');
    await call(fake, merchant, 'pay', cashierBody(custom));
    await fake.pay(custom, { rate: '5', notify: false });
    const q = await call(fake, merchant, 'inquiryPayment', { paymentRequestId: custom });
    assert.deepEqual(q.json.actualPaymentAmount, { currency: 'CNY', value: '5000' });
  });

  it("refundResult 'SUCCESS': S with refundTime, then notifyRefund to the merchant's configured URL or none", async () => {
    const id = nextId('RS');
    const pay = await call(fake, merchant, 'pay', cashierBody(id));
    await fake.pay(id, { notify: false });
    const rid = nextId('RFD');
    const reply = await call(fake, merchant, 'refund', { refundRequestId: rid, paymentId: pay.json.paymentId, refundAmount: { currency: 'NZD', value: '1000' }, refundNotifyUrl: receiver.url('/r') });
    assert.equal(reply.json.result.resultStatus, 'S');
    assert.ok(reply.json.refundTime);
    await fake.idle();
    const n = fake.notifications.find((x) => x.refundRequestId === rid);
    assert.equal(n?.url, receiver.url('/r'));
    assert.equal(n?.acknowledged, true);
  });

  it("paymentCodeOutcome 'confirm' is the default for unregistered codes", async () => {
    const order = inStoreOrder();
    order.env = { storeTerminalId: 'T01', storeTerminalRequestTime: '2025-05-19T09:52:32+08:00' };
    const reply = await call(fake, merchant, 'pay', {
      productCode: 'IN_STORE_PAYMENT', paymentRequestId: nextId('UPM'), order,
      paymentAmount: { currency: 'NZD', value: '100' }, paymentMethod: { paymentMethodType: 'CONNECT_WALLET', paymentMethodId: '2877' },
      paymentFactor: { inStorePaymentScenario: 'PaymentCode' }, paymentNotifyUrl: receiver.url('/n'),
    });
    assert.equal(reply.json.result.resultCode, 'PAYMENT_IN_PROCESS');
  });
});

describe("fake Antom: its primitives agree with Antom's real signature", () => {
  it('the sandbox answer in test/vectors/antom verifies with the fake\'s signingContent + verifyUrlEncoded, and a tampered one does not', async () => {
    const { readFileSync } = await import('node:fs');
    const { signingContent, verifyUrlEncoded, parseSignatureHeader } = await import('./crypto.js');
    const file = JSON.parse(readFileSync(new URL('../../vectors/antom/sandbox-response.json', import.meta.url), 'utf8')) as {
      antomPublicKeyBase64: string;
      vectors: Array<{ expect: string; requestUri: string; clientId: string; responseTime: string; body: string; signature: string }>;
    };
    const key = crypto.createPublicKey({ key: Buffer.from(file.antomPublicKeyBase64, 'base64'), format: 'der', type: 'spki' });
    for (const v of file.vectors) {
      const header = parseSignatureHeader(`algorithm=RSA256,keyVersion=1,signature=${v.signature}`);
      assert.ok(header);
      assert.equal(verifyUrlEncoded(signingContent('POST', v.requestUri, v.clientId, v.responseTime, v.body), header.signature, key), v.expect === 'valid');
    }
  });
});
