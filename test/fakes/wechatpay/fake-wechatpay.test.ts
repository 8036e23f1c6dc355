// Tests of the fake WeChat Pay server itself, driven by a tiny signing client written here on
// node:crypto (not the fake's helpers, and nothing from src/). Everything runs on 127.0.0.1; every
// server and timer is stopped in the after hooks; nothing asserts on timing.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { aeadDecrypt, aeadEncrypt, parseAuthorization, PROBE_PREFIX, requestSigningMessage, responseSigningMessage, verifyBase64 } from './crypto.js';
import { FakeWechatPay, type FakeMerchant } from './fake-wechatpay.js';
import { createSelfSignedCertificate } from './x509.js';

// ---------------------------------------------------------------------------------------------
// A tiny merchant: keys, a signing client, a notification receiver

interface Merchant {
  config: FakeMerchant;
  privateKey: crypto.KeyObject;
  serial: string;
}

function makeMerchant(config: Omit<FakeMerchant, 'publicKeyPem' | 'apiV3Key' | 'certificateSerial'>, asCertificate: boolean): Merchant {
  const keyPair = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const apiV3Key = crypto.randomBytes(24).toString('base64'); // 32 ASCII characters
  if (asCertificate) {
    const cert = createSelfSignedCertificate(keyPair, { commonName: `merchant ${config.mchid}` });
    return { config: { ...config, publicKeyPem: cert.pem, apiV3Key }, privateKey: keyPair.privateKey, serial: cert.serial };
  }
  const serial = crypto.randomBytes(20).toString('hex').toUpperCase();
  const publicKeyPem = keyPair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { config: { ...config, publicKeyPem, certificateSerial: serial, apiV3Key }, privateKey: keyPair.privateKey, serial };
}

interface CallOptions {
  timestampOffsetSeconds?: number;
  serial?: string;
  mchid?: string;
  /** Sign these bytes but send the real body (a signature over other bytes). */
  signedBody?: string;
  noAuthorization?: boolean;
  accept?: string;
  signal?: AbortSignal;
}

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(fake: FakeWechatPay, merchant: Merchant, method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<Reply> {
  const text = body === undefined ? '' : JSON.stringify(body);
  const timestamp = String(Math.floor(Date.now() / 1000) + (options.timestampOffsetSeconds ?? 0));
  const nonce = crypto.randomBytes(16).toString('hex').toUpperCase();
  const signed = options.signedBody ?? text;
  const message = `${method}\n${path}\n${timestamp}\n${nonce}\n${signed}\n`;
  const signature = crypto.sign('sha256', Buffer.from(message, 'utf8'), merchant.privateKey).toString('base64');
  const headers: Record<string, string> = { 'User-Agent': 'fake-test/1.0' };
  headers.Accept = options.accept ?? 'application/json';
  if (!options.noAuthorization) {
    headers.Authorization =
      `WECHATPAY2-SHA256-RSA2048 mchid="${options.mchid ?? merchant.config.mchid}",nonce_str="${nonce}",` +
      `timestamp="${timestamp}",serial_no="${options.serial ?? merchant.serial}",signature="${signature}"`;
  }
  if (text) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${fake.baseUrl}${path}`, { method, headers, body: text || undefined, signal: options.signal });
  const replyText = await res.text();
  return { status: res.status, headers: res.headers, text: replyText, json: replyText ? JSON.parse(replyText) : undefined };
}

/** Verifies a WeChat Pay answer's or notification's signature: timestamp\nnonce\nbody\n. */
function verifyWechatpay(headers: { get(name: string): string | null }, body: string, publicKeyPem: string): boolean {
  const timestamp = headers.get('wechatpay-timestamp');
  const nonce = headers.get('wechatpay-nonce');
  const signature = headers.get('wechatpay-signature');
  if (!timestamp || !nonce || !signature) return false;
  const key = publicKeyPem.includes('CERTIFICATE') ? new crypto.X509Certificate(publicKeyPem).publicKey : crypto.createPublicKey(publicKeyPem);
  try {
    return crypto.verify('sha256', Buffer.from(`${timestamp}\n${nonce}\n${body}\n`, 'utf8'), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

function decrypt(apiV3Key: string, resource: { nonce: string; associated_data: string; ciphertext: string }): any { // eslint-disable-line @typescript-eslint/no-explicit-any
  const data = Buffer.from(resource.ciphertext, 'base64');
  const decipher = crypto.createDecipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(resource.nonce, 'utf8'));
  decipher.setAAD(Buffer.from(resource.associated_data, 'utf8'));
  decipher.setAuthTag(data.subarray(data.length - 16));
  return JSON.parse(Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8'));
}

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A loopback notify_url that records what it gets and answers as told. */
class Receiver {
  readonly received: Received[] = [];
  answer: (n: number) => { status: number; body?: string } | 'hang' = () => ({ status: 204 });
  readonly #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      this.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = this.answer(this.received.length);
      if (answer === 'hang') return; // never answers; the fake's timeout or stop ends it
      res.writeHead(answer.status, answer.body ? { 'Content-Type': 'application/json' } : {});
      res.end(answer.body ?? '');
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/wechatpay/notify`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function getHeaders(h: http.IncomingHttpHeaders): { get(name: string): string | null } {
  return { get: (name: string) => (h[name.toLowerCase()] as string | undefined) ?? null };
}

function nativeBody(merchant: Merchant, outTradeNo: string, notifyUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    appid: merchant.config.appid,
    mchid: merchant.config.mchid,
    description: 'Lunch set',
    out_trade_no: outTradeNo,
    notify_url: notifyUrl,
    trade_type: 'NATIVE',
    merchant_category_code: '5812',
    amount: { total: 1000, currency: 'HKD' },
    ...extra,
  };
}

function institutionalBody(merchant: Merchant, outTradeNo: string, notifyUrl: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    sp_appid: merchant.config.spAppid,
    sp_mchid: merchant.config.mchid,
    sub_mchid: '20000100',
    description: 'Lunch set',
    out_trade_no: outTradeNo,
    notify_url: notifyUrl,
    trade_type: 'NATIVE',
    merchant_category_code: '5812',
    amount: { total: 2500, currency: 'NZD' },
    ...extra,
  };
}

let counter = 0;
const nextNo = (prefix: string) => `${prefix}${Date.now()}${++counter}`;

// ---------------------------------------------------------------------------------------------

describe('fake WeChat Pay: common mode, public-key signing', () => {
  let fake: FakeWechatPay;
  let receiver: Receiver;
  let merchant: Merchant;
  let other: Merchant;

  before(async () => {
    merchant = makeMerchant({ mode: 'common', mchid: '1900000109', appid: 'wx8888888888888888' }, true);
    other = makeMerchant({ mode: 'common', mchid: '1900000200', appid: 'wx2222222222222222' }, false);
    fake = await FakeWechatPay.start({ merchants: [merchant.config, other.config] });
    receiver = new Receiver();
    await receiver.start();
  });

  after(async () => {
    await fake.stop();
    await receiver.stop();
  });

  it('listens on 127.0.0.1 and exposes the public key, its PUB_KEY_ID_ and a platform certificate', () => {
    assert.match(fake.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(fake.wechatpayPublicKeyId, /^PUB_KEY_ID_\d+$/);
    assert.ok(crypto.createPublicKey(fake.wechatpayPublicKeyPem));
    const cert = new crypto.X509Certificate(fake.platformCertificatePem);
    assert.equal(cert.serialNumber.toUpperCase(), fake.platformCertificateSerial);
    assert.equal(cert.verify(cert.publicKey), true, 'self-signed');
    assert.equal(fake.signingSerial, fake.wechatpayPublicKeyId);
  });

  it('native: answers a code_url, signed with the WeChat Pay public key', async () => {
    const reply = await call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, nextNo('N'), receiver.url));
    assert.equal(reply.status, 200);
    assert.match(reply.json.code_url, /^weixin:\/\/wxpay\/bizpayurl\?pr=[A-Za-z0-9]+$/);
    assert.equal(reply.headers.get('wechatpay-serial'), fake.wechatpayPublicKeyId);
    assert.ok(reply.headers.get('request-id'));
    assert.equal(verifyWechatpay(reply.headers, reply.text, fake.wechatpayPublicKeyPem), true);
    assert.equal(verifyWechatpay(reply.headers, reply.text, fake.platformCertificatePem), false, 'the certificate key is another key');
  });

  it('native: the same out_trade_no with the same parameters gives the same code_url; different parameters are refused', async () => {
    const no = nextNo('N');
    const first = await call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, no, receiver.url, { scene_info: { payer_client_ip: '10.0.0.1' } }));
    const again = await call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, no, receiver.url, { scene_info: { payer_client_ip: '10.0.0.2' } }));
    assert.equal(again.status, 200);
    assert.equal(again.json.code_url, first.json.code_url);
    const changed = await call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, no, receiver.url, { amount: { total: 999, currency: 'HKD' } }));
    assert.equal(changed.status, 400);
    assert.equal(changed.json.code, 'INVALID_REQUEST');
    assert.equal(verifyWechatpay(changed.headers, changed.text, fake.wechatpayPublicKeyPem), true, 'errors are signed too');
    assert.equal(fake.order(no)?.total, 1000);
  });

  it('jsapi: answers a prepay_id; payer.openid is required', async () => {
    const no = nextNo('J');
    const body = { ...nativeBody(merchant, no, receiver.url), trade_type: 'JSAPI', payer: { openid: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' } };
    const reply = await call(fake, merchant, 'POST', '/v3/global/transactions/jsapi', body);
    assert.equal(reply.status, 200);
    assert.match(reply.json.prepay_id, /^wx\d{14}[0-9a-f]+$/);
    const invoke = { appId: merchant.config.appid as string, timeStamp: String(Math.floor(Date.now() / 1000)), nonceStr: 'n0nce', package: `prepay_id=${reply.json.prepay_id}`, signType: 'RSA', paySign: '' };
    invoke.paySign = crypto.sign('sha256', Buffer.from(`${invoke.appId}\n${invoke.timeStamp}\n${invoke.nonceStr}\n${invoke.package}\n`), merchant.privateKey).toString('base64');
    assert.equal(fake.checkJsapiInvoke(merchant.config.mchid, invoke), null);
    assert.match(fake.checkJsapiInvoke(merchant.config.mchid, { ...invoke, nonceStr: 'other' }) ?? '', /paySign/);
    assert.match(fake.checkJsapiInvoke(merchant.config.mchid, { ...invoke, package: 'prepay_id=wx0' }) ?? '', /package/);
    const missing = await call(fake, merchant, 'POST', '/v3/global/transactions/jsapi', { ...body, out_trade_no: nextNo('J'), payer: undefined });
    assert.equal(missing.status, 400);
    assert.equal(missing.json.code, 'PARAM_ERROR');
    assert.equal(missing.json.detail.field, '/payer');
  });

  it('answers PARAM_ERROR 400 with a message and detail for missing or wrong fields', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ amount: { total: 1000 } }, '/amount/currency'],
      [{ amount: { total: 10.5, currency: 'HKD' } }, '/amount/total'],
      [{ amount: { total: 0, currency: 'HKD' } }, '/amount/total'],
      [{ description: undefined }, '/description'],
      [{ notify_url: `${receiver.url}?order=1` }, '/notify_url'],
      [{ trade_type: 'JSAPI' }, '/trade_type'],
      [{ merchant_category_code: undefined }, '/merchant_category_code'],
      [{ out_trade_no: 'has space' }, '/out_trade_no'],
      [{ notifyUrl: receiver.url }, '/notifyUrl'],
      [{ sp_mchid: '1900000100' }, '/sp_mchid'],
    ];
    for (const [change, field] of cases) {
      const body = { ...nativeBody(merchant, nextNo('P'), receiver.url), ...change };
      const reply = await call(fake, merchant, 'POST', '/v3/global/transactions/native', JSON.parse(JSON.stringify(body)));
      assert.equal(reply.status, 400, field);
      assert.equal(reply.json.code, 'PARAM_ERROR', field);
      assert.equal(reply.json.detail.field, field);
      assert.equal(reply.json.detail.location, 'body');
      assert.ok(reply.json.message.length > 0);
    }
  });

  it('checks every request signature: good, bad, stale, wrong serial, unknown merchant, none', async () => {
    const path = '/v3/global/transactions/native';
    const body = nativeBody(merchant, nextNo('S'), receiver.url);
    const within = await call(fake, merchant, 'POST', path, body, { timestampOffsetSeconds: -200 });
    assert.equal(within.status, 200, 'a timestamp 200 s old is inside the 5-minute window');
    const refusals: Array<[string, Reply]> = [
      ['body not what was signed', await call(fake, merchant, 'POST', path, body, { signedBody: JSON.stringify({ ...body, description: 'x' }) })],
      ['stale timestamp', await call(fake, merchant, 'POST', path, body, { timestampOffsetSeconds: -301 })],
      ['future timestamp', await call(fake, merchant, 'POST', path, body, { timestampOffsetSeconds: 301 })],
      ['wrong serial_no', await call(fake, merchant, 'POST', path, body, { serial: other.serial })],
      ['unknown mchid', await call(fake, merchant, 'POST', path, body, { mchid: '1234567890' })],
      ['no Authorization', await call(fake, merchant, 'POST', path, body, { noAuthorization: true })],
      ['other merchant key', await call(fake, other, 'POST', path, body, { mchid: merchant.config.mchid, serial: merchant.serial })],
    ];
    for (const [name, reply] of refusals) {
      assert.equal(reply.status, 401, name);
      assert.equal(reply.json.code, 'SIGN_ERROR', name);
    }
    const mismatch = await call(fake, other, 'POST', path, body);
    assert.equal(mismatch.status, 400, 'mchid in the body is not the signer');
    assert.equal(mismatch.json.code, 'INVALID_REQUEST');
    const htmlAccept = await call(fake, merchant, 'POST', path, nativeBody(merchant, nextNo('S'), receiver.url), { accept: 'text/html' });
    assert.equal(htmlAccept.status, 400, 'Accept must allow application/json');
    assert.equal(fake.requests.filter((r) => r.errorCode === 'SIGN_ERROR').length >= refusals.length, true);
  });

  it('query: NOTPAY, then SUCCESS with payer amounts and exchange rate; by id too; unknown is ORDER_NOT_EXIST', async () => {
    const no = nextNo('Q');
    await call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, no, receiver.url, { attach: 'cart-7' }));
    const path = `/v3/global/transactions/out-trade-no/${no}?mchid=${merchant.config.mchid}`;
    const before = await call(fake, merchant, 'GET', path);
    assert.equal(before.status, 200);
    assert.equal(before.json.trade_state, 'NOTPAY');
    assert.deepEqual(before.json.amount, { total: 1000, currency: 'HKD' });
    assert.equal(before.json.id, undefined);
    assert.equal(await fake.pay(no, { payerCurrency: 'CNY', rate: 91_500_000, notify: false }), undefined);
    const paid = await call(fake, merchant, 'GET', path);
    assert.equal(paid.json.trade_state, 'SUCCESS');
    assert.equal(paid.json.mchid, merchant.config.mchid);
    assert.equal(paid.json.appid, merchant.config.appid);
    assert.equal(paid.json.attach, 'cart-7');
    assert.equal(paid.json.trade_type, 'NATIVE');
    assert.deepEqual(paid.json.amount, { total: 1000, currency: 'HKD', payer_total: 915, payer_currency: 'CNY', exchange_rate: { type: 'SETTLEMENT_RATE', rate: 91_500_000 } });
    assert.match(paid.json.success_time, /\+08:00$/);
    const byId = await call(fake, merchant, 'GET', `/v3/global/transactions/id/${paid.json.id}?mchid=${merchant.config.mchid}`);
    assert.equal(byId.json.out_trade_no, no);
    const unknown = await call(fake, merchant, 'GET', `/v3/global/transactions/out-trade-no/NOPE1?mchid=${merchant.config.mchid}`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.code, 'ORDER_NOT_EXIST');
    const noMchid = await call(fake, merchant, 'GET', `/v3/global/transactions/out-trade-no/${no}`);
    assert.equal(noMchid.status, 400);
    assert.equal(noMchid.json.detail.location, 'query');
    const notMine = await call(fake, other, 'GET', `/v3/global/transactions/out-trade-no/${no}?mchid=${other.config.mchid}`);
    assert.equal(notMine.status, 404, 'another merchant does not see the order');
  });

  it('close: 204 with a signed empty body, the order CLOSED, repeatable; a paid order is ORDERPAID; a closed number cannot be reused', async () => {
    const no = nextNo('C');
    await call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, no, receiver.url));
    const closed = await call(fake, merchant, 'POST', `/v3/global/transactions/out-trade-no/${no}/close`, { mchid: merchant.config.mchid });
    assert.equal(closed.status, 204);
    assert.equal(closed.text, '');
    assert.equal(verifyWechatpay(closed.headers, '', fake.wechatpayPublicKeyPem), true);
    assert.equal(fake.order(no)?.state, 'CLOSED');
    const again = await call(fake, merchant, 'POST', `/v3/global/transactions/out-trade-no/${no}/close`, { mchid: merchant.config.mchid });
    assert.equal(again.status, 204);
    const reuse = await call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, no, receiver.url));
    assert.equal(reuse.status, 400);
    assert.equal(reuse.json.code, 'ORDER_CLOSED');

    const paidNo = nextNo('C');
    await call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, paidNo, receiver.url));
    await fake.pay(paidNo, { notify: false });
    const refused = await call(fake, merchant, 'POST', `/v3/global/transactions/out-trade-no/${paidNo}/close`, { mchid: merchant.config.mchid });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.code, 'ORDERPAID');
    const replace = await call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, paidNo, receiver.url));
    assert.equal(replace.status, 403);
  });

  it('decline and expire show as PAYERROR and CLOSED', async () => {
    const declined = nextNo('D');
    const expired = nextNo('E');
    for (const no of [declined, expired]) await call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, no, receiver.url));
    fake.decline(declined);
    fake.expire(expired);
    const a = await call(fake, merchant, 'GET', `/v3/global/transactions/out-trade-no/${declined}?mchid=${merchant.config.mchid}`);
    const b = await call(fake, merchant, 'GET', `/v3/global/transactions/out-trade-no/${expired}?mchid=${merchant.config.mchid}`);
    assert.equal(a.json.trade_state, 'PAYERROR');
    assert.equal(b.json.trade_state, 'CLOSED');
    assert.ok(a.json.trade_state_desc);
  });

  it('pay: POSTs a TRANSACTION.SUCCESS notification, signed with the public key and encrypted with the APIv3 key', async () => {
    const no = nextNo('T');
    await call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, no, receiver.url));
    const seen = receiver.received.length;
    const record = await fake.pay(no, { payerCurrency: 'CNY', rate: 92_000_000 });
    assert.ok(record);
    assert.equal(receiver.received.length, seen + 1);
    const got = receiver.received[seen];
    const headers = getHeaders(got.headers);
    assert.equal(headers.get('content-type'), 'application/json');
    assert.equal(headers.get('wechatpay-serial'), fake.wechatpayPublicKeyId);
    assert.equal(headers.get('wechatpay-signature-type'), 'WECHATPAY2-SHA256-RSA2048');
    assert.ok(Math.abs(Number(headers.get('wechatpay-timestamp')) - Date.now() / 1000) < 300);
    assert.equal(verifyWechatpay(headers, got.body, fake.wechatpayPublicKeyPem), true);
    const envelope = JSON.parse(got.body);
    assert.equal(envelope.event_type, 'TRANSACTION.SUCCESS');
    assert.equal(envelope.resource_type, 'encrypt-resource');
    assert.equal(envelope.resource.algorithm, 'AEAD_AES_256_GCM');
    assert.equal(envelope.resource.original_type, 'transaction');
    assert.equal(envelope.resource.nonce.length, 12);
    const resource = decrypt(merchant.config.apiV3Key, envelope.resource);
    assert.equal(resource.out_trade_no, no);
    assert.equal(resource.trade_state, 'SUCCESS');
    assert.equal(resource.id, fake.order(no)?.transactionId);
    assert.deepEqual(resource.amount, { total: 1000, currency: 'HKD', payer_total: 920, payer_currency: 'CNY', exchange_rate: { type: 'SETTLEMENT_RATE', rate: 92_000_000 } });
    assert.throws(() => decrypt(other.config.apiV3Key, envelope.resource), 'another key cannot open it');
    assert.equal(record.acknowledged, true);
    assert.deepEqual(record.attempts.map((a) => a.status), [204]);
  });

  it('a notification answered with an error is not acknowledged; redelivery sends the same one again', async () => {
    const no = nextNo('R');
    await call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, no, receiver.url));
    const seen = receiver.received.length;
    receiver.answer = (n) => (n === seen + 1 ? { status: 500, body: JSON.stringify({ code: 'FAIL', message: 'busy' }) } : { status: 200 });
    const record = await fake.pay(no);
    assert.ok(record);
    assert.equal(record.acknowledged, false);
    assert.equal(record.attempts[0].status, 500);
    assert.equal(record.attempts[0].responseBody, '{"code":"FAIL","message":"busy"}');
    const attempt = await fake.redeliver(record.id);
    assert.equal(attempt.status, 200);
    assert.equal(record.acknowledged, true);
    const [first, second] = receiver.received.slice(seen);
    assert.equal(first.body, second.body, 'the same notification body, the same id');
    assert.notEqual(first.headers['wechatpay-nonce'], second.headers['wechatpay-nonce']);
    receiver.answer = () => ({ status: 204 });
    assert.deepEqual(await fake.redeliverPending(), []);
  });

  it('notifyRaw: bad signature, probe signature, stale timestamp, unknown serial, changed amount, wrong key, duplicate', async () => {
    const no = nextNo('X');
    await call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, no, receiver.url));
    const last = () => receiver.received[receiver.received.length - 1];

    await fake.notifyRaw(no, { badSignature: true });
    assert.equal(verifyWechatpay(getHeaders(last().headers), last().body, fake.wechatpayPublicKeyPem), false);

    await fake.notifyRaw(no, { probeSignature: true });
    assert.ok(String(last().headers['wechatpay-signature']).startsWith('WECHATPAY/SIGNTEST/'));
    assert.equal(verifyWechatpay(getHeaders(last().headers), last().body, fake.wechatpayPublicKeyPem), false);

    await fake.notifyRaw(no, { staleTimestampSeconds: 600 });
    assert.equal(verifyWechatpay(getHeaders(last().headers), last().body, fake.wechatpayPublicKeyPem), true, 'signed, but...');
    assert.ok(Date.now() / 1000 - Number(last().headers['wechatpay-timestamp']) > 300, '...outside the window');

    await fake.notifyRaw(no, { unknownSerial: true });
    assert.notEqual(last().headers['wechatpay-serial'], fake.wechatpayPublicKeyId);
    assert.match(String(last().headers['wechatpay-serial']), /^PUB_KEY_ID_/);

    await fake.notifyRaw(no, { amountTotal: 1, currency: 'USD' });
    assert.equal(verifyWechatpay(getHeaders(last().headers), last().body, fake.wechatpayPublicKeyPem), true);
    const lied = decrypt(merchant.config.apiV3Key, JSON.parse(last().body).resource);
    assert.equal(lied.amount.total, 1);
    assert.equal(lied.amount.currency, 'USD');
    assert.equal(fake.order(no)?.state, 'NOTPAY', 'notifyRaw does not change the order');

    await fake.notifyRaw(no, { wrongApiV3Key: true });
    assert.throws(() => decrypt(merchant.config.apiV3Key, JSON.parse(last().body).resource));

    const seen = receiver.received.length;
    const dup = await fake.notifyRaw(no, { duplicate: true });
    assert.equal(receiver.received.length, seen + 2);
    assert.equal(JSON.parse(receiver.received[seen].body).id, JSON.parse(receiver.received[seen + 1].body).id);
    assert.equal(dup.attempts.length, 2);
  });

  it('never connects outside loopback: a public notify_url is recorded as refused', async () => {
    const no = nextNo('L');
    const placed = await call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, no, 'https://merchant.example.com/wechatpay/notify'));
    assert.equal(placed.status, 200);
    const record = await fake.pay(no);
    assert.equal(record?.attempts[0].error, 'refused-non-loopback');
    assert.equal(record?.acknowledged, false);
  });

  it('refunds: accepted PROCESSING, idempotent per out_refund_no, never over the paid amount, then completed with notifications', async () => {
    const no = nextNo('F');
    await call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, no, receiver.url));
    const refundBody = (outRefundNo: string, refund: number) => ({
      mchid: merchant.config.mchid, appid: merchant.config.appid, out_trade_no: no, out_refund_no: outRefundNo,
      reason: 'returned', notify_url: receiver.url, amount: { refund, total: 1000, currency: 'HKD' },
    });
    const early = await call(fake, merchant, 'POST', '/v3/global/refunds', refundBody(nextNo('RF'), 100));
    assert.equal(early.status, 400, 'an unpaid order cannot be refunded');
    await fake.pay(no, { payerCurrency: 'CNY', rate: 90_000_000, notify: false });

    const r1 = nextNo('RF');
    const first = await call(fake, merchant, 'POST', '/v3/global/refunds', refundBody(r1, 300));
    assert.equal(first.status, 200);
    assert.equal(verifyWechatpay(first.headers, first.text, fake.wechatpayPublicKeyPem), true);
    assert.equal(first.json.out_refund_no, r1);
    assert.deepEqual(first.json.amount, { refund: 300, currency: 'HKD', payer_refund: 270, payer_currency: 'CNY', exchange_rate: { type: 'USERPAYMENT_RATE', rate: 90_000_000 } });
    const repeat = await call(fake, merchant, 'POST', '/v3/global/refunds', refundBody(r1, 300));
    assert.equal(repeat.status, 200);
    assert.equal(repeat.json.id, first.json.id);
    const changed = await call(fake, merchant, 'POST', '/v3/global/refunds', refundBody(r1, 301));
    assert.equal(changed.status, 400);
    assert.equal(changed.json.code, 'INVALID_REQUEST');
    assert.equal(fake.refundsOf(no).length, 1, 'refunded exactly once');

    const tooMuch = await call(fake, merchant, 'POST', '/v3/global/refunds', refundBody(nextNo('RF'), 701));
    assert.equal(tooMuch.status, 400);
    const wrongTotal = await call(fake, merchant, 'POST', '/v3/global/refunds', { ...refundBody(nextNo('RF'), 10), amount: { refund: 10, total: 999, currency: 'HKD' } });
    assert.equal(wrongTotal.status, 400);

    const query = (outRefundNo: string) => call(fake, merchant, 'GET', `/v3/global/refunds/out-refund-no/${outRefundNo}?mchid=${merchant.config.mchid}`);
    assert.equal((await query(r1)).json.status, 'PROCESSING');
    const order = await call(fake, merchant, 'GET', `/v3/global/transactions/out-trade-no/${no}?mchid=${merchant.config.mchid}`);
    assert.equal(order.json.trade_state, 'REFUND');

    const seen = receiver.received.length;
    const record = await fake.completeRefund(r1, 'SUCCESS');
    assert.equal(record?.eventType, 'REFUND.SUCCESS');
    const got = receiver.received[seen];
    assert.equal(verifyWechatpay(getHeaders(got.headers), got.body, fake.wechatpayPublicKeyPem), true);
    const envelope = JSON.parse(got.body);
    assert.equal(envelope.event_type, 'REFUND.SUCCESS');
    assert.equal(envelope.resource.original_type, 'refund');
    const resource = decrypt(merchant.config.apiV3Key, envelope.resource);
    assert.equal(resource.refund_status, 'SUCCESS');
    assert.equal(resource.out_refund_no, r1);
    assert.equal(resource.refund_id, first.json.id);
    assert.equal(resource.amount.refund, 300);
    assert.equal(resource.amount.payer_refund, 270);
    const done = await query(r1);
    assert.equal(done.json.status, 'SUCCESS');
    assert.match(done.json.success_time, /\+08:00$/);
    assert.equal(done.json.transaction_id, fake.order(no)?.transactionId);

    const r2 = nextNo('RF');
    assert.equal((await call(fake, merchant, 'POST', '/v3/global/refunds', refundBody(r2, 700))).status, 200);
    assert.equal((await call(fake, merchant, 'POST', '/v3/global/refunds', refundBody(nextNo('RF'), 1))).status, 400, 'nothing left');
    const closed = await fake.completeRefund(r2, 'CLOSED');
    assert.equal(closed?.eventType, 'REFUND.CLOSED');
    assert.equal((await query(r2)).json.status, 'REFUNDCLOSE');
    assert.equal((await call(fake, merchant, 'POST', '/v3/global/refunds', refundBody(nextNo('RF'), 700))).status, 200, 'a closed refund gives its amount back');

    const r3 = fake.refundsOf(no)[2].outRefundNo;
    const abnormal = await fake.completeRefund(r3, 'ABNORMAL', { notify: false });
    assert.equal(abnormal, undefined);
    assert.equal((await query(r3)).json.status, 'ABNORMAL');
    assert.equal((await call(fake, merchant, 'GET', `/v3/global/refunds/out-refund-no/NOPE?mchid=${merchant.config.mchid}`)).json.code, 'RESOURCE_NOT_EXISTS');
    assert.equal((await call(fake, merchant, 'POST', '/v3/global/refunds', { ...refundBody(nextNo('RF'), 1), out_trade_no: 'NOPE' })).status, 404);
  });

  it('certificates: the platform certificate list, each encrypted with the caller\'s APIv3 key', async () => {
    const reply = await call(fake, merchant, 'GET', '/v3/global/certificates');
    assert.equal(reply.status, 200);
    assert.equal(reply.json.data.length, 1);
    const entry = reply.json.data[0];
    assert.equal(entry.serial_no, fake.platformCertificateSerial);
    assert.equal(entry.encrypt_certificate.associated_data, 'certificate');
    const data = Buffer.from(entry.encrypt_certificate.ciphertext, 'base64');
    const decipher = crypto.createDecipheriv('aes-256-gcm', Buffer.from(merchant.config.apiV3Key), Buffer.from(entry.encrypt_certificate.nonce));
    decipher.setAAD(Buffer.from('certificate'));
    decipher.setAuthTag(data.subarray(data.length - 16));
    const pem = Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString();
    assert.equal(new crypto.X509Certificate(pem).serialNumber.toUpperCase(), entry.serial_no);
    assert.match(entry.effective_time, /\+08:00$/);
  });

  it('logs every request with its answer', () => {
    assert.ok(fake.requests.length > 10);
    const refunds = fake.requestsTo('/v3/global/refunds', 'POST');
    assert.ok(refunds.length > 0);
    for (const entry of fake.requests) assert.ok(entry.status > 0);
    assert.ok(fake.requests.some((r) => r.errorCode === 'PARAM_ERROR' && r.status === 400));
  });
});

describe('fake WeChat Pay: institutional mode, certificate signing', () => {
  let fake: FakeWechatPay;
  let receiver: Receiver;
  let institution: Merchant;

  before(async () => {
    institution = makeMerchant({ mode: 'institutional', mchid: '1900000100', spAppid: 'wxsp000000000001', subMchids: ['20000100'] }, false);
    fake = await FakeWechatPay.start({ merchants: [institution.config], signWith: 'certificate', refundResult: 'SUCCESS' });
    receiver = new Receiver();
    await receiver.start();
  });

  after(async () => {
    await fake.stop();
    await receiver.stop();
  });

  it('places, queries, pays and refunds with sp_appid / sp_mchid / sub_mchid, signed by the platform certificate', async () => {
    const no = nextNo('I');
    const placed = await call(fake, institution, 'POST', '/v3/global/transactions/native', institutionalBody(institution, no, receiver.url));
    assert.equal(placed.status, 200);
    assert.equal(placed.headers.get('wechatpay-serial'), fake.platformCertificateSerial);
    assert.equal(verifyWechatpay(placed.headers, placed.text, fake.platformCertificatePem), true);
    assert.equal(verifyWechatpay(placed.headers, placed.text, fake.wechatpayPublicKeyPem), false);

    const wrongSub = await call(fake, institution, 'POST', '/v3/global/transactions/native', { ...institutionalBody(institution, nextNo('I'), receiver.url), sub_mchid: '99999999' });
    assert.equal(wrongSub.status, 400);
    const commonFields = await call(fake, institution, 'POST', '/v3/global/transactions/native', { ...institutionalBody(institution, nextNo('I'), receiver.url), mchid: '1900000100' });
    assert.equal(commonFields.json.code, 'PARAM_ERROR');

    const record = await fake.pay(no, { payerCurrency: 'CNY', rate: 420_000_000 });
    const got = receiver.received[receiver.received.length - 1];
    assert.equal(got.headers['wechatpay-serial'], fake.platformCertificateSerial);
    assert.equal(verifyWechatpay(getHeaders(got.headers), got.body, fake.platformCertificatePem), true);
    const resource = decrypt(institution.config.apiV3Key, JSON.parse(got.body).resource);
    assert.equal(resource.sp_mchid, '1900000100');
    assert.equal(resource.sub_mchid, '20000100');
    assert.equal(resource.sp_appid, 'wxsp000000000001');
    assert.equal(resource.amount.payer_total, 10500);
    assert.ok(record?.acknowledged);

    const query = await call(fake, institution, 'GET', `/v3/global/transactions/out-trade-no/${no}?sp_mchid=1900000100&sub_mchid=20000100`);
    assert.equal(query.json.trade_state, 'SUCCESS');
    const commonQuery = await call(fake, institution, 'GET', `/v3/global/transactions/out-trade-no/${no}?mchid=1900000100`);
    assert.equal(commonQuery.status, 400);

    const seen = receiver.received.length;
    const refund = await call(fake, institution, 'POST', '/v3/global/refunds', {
      sp_mchid: '1900000100', sub_mchid: '20000100', sp_appid: 'wxsp000000000001', out_trade_no: no,
      out_refund_no: nextNo('IR'), notify_url: receiver.url, amount: { refund: 2500, total: 2500, currency: 'NZD' },
    });
    assert.equal(refund.status, 200);
    await fake.idle();
    assert.equal(receiver.received.length, seen + 1, 'refundResult SUCCESS notifies at once');
    const refundResource = decrypt(institution.config.apiV3Key, JSON.parse(receiver.received[seen].body).resource);
    assert.equal(refundResource.refund_status, 'SUCCESS');
    assert.equal(refundResource.sub_mchid, '20000100');
    const refundQuery = await call(fake, institution, 'GET', `/v3/global/refunds/out-refund-no/${refund.json.out_refund_no}?sp_mchid=1900000100&sub_mchid=20000100`);
    assert.equal(refundQuery.json.status, 'SUCCESS');
    const close = await call(fake, institution, 'POST', `/v3/global/transactions/out-trade-no/${no}/close`, { sp_mchid: '1900000100', sub_mchid: '20000100' });
    assert.equal(close.json.code, 'ORDERPAID');
  });

  it('rotating the platform certificate lists both and signs with the new one', async () => {
    const old = fake.platformCertificateSerial;
    const rotated = fake.rotatePlatformCertificate();
    assert.notEqual(rotated.serial, old);
    const reply = await call(fake, institution, 'GET', '/v3/global/certificates');
    assert.deepEqual(reply.json.data.map((d: { serial_no: string }) => d.serial_no), [old, rotated.serial]);
    assert.equal(reply.headers.get('wechatpay-serial'), rotated.serial);
    assert.equal(verifyWechatpay(reply.headers, reply.text, rotated.pem), true);
  });
});

describe('fake WeChat Pay: failure injection and automatic redelivery', () => {
  let fake: FakeWechatPay;
  let receiver: Receiver;
  let merchant: Merchant;

  before(async () => {
    merchant = makeMerchant({ mode: 'common', mchid: '1900000300', appid: 'wx3333333333333333' }, true);
    fake = await FakeWechatPay.start({ merchants: [merchant.config], retryDelaysMs: [1, 1, 1], notificationTimeoutMs: 200, platformCertificates: false });
    receiver = new Receiver();
    await receiver.start();
  });

  after(async () => {
    await fake.stop();
    await receiver.stop();
  });

  const place = (no: string, options?: CallOptions) => call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, no, receiver.url), options);

  it('{status: 503} answers SYSTEM_ERROR without effect, once', async () => {
    fake.failNext('/v3/global/transactions/native', { status: 503 });
    const no = nextNo('F');
    const failed = await place(no);
    assert.equal(failed.status, 503);
    assert.equal(failed.json.code, 'SYSTEM_ERROR');
    assert.equal(fake.order(no), undefined);
    assert.equal((await place(no)).status, 200);
  });

  it('{status: 500, afterProcessing} loses only the answer: the retry gets the same code_url', async () => {
    fake.failNext(/^POST \/v3\/global\/transactions\/native$/, { status: 500, afterProcessing: true });
    const no = nextNo('F');
    const failed = await place(no);
    assert.equal(failed.status, 500);
    assert.ok(fake.order(no));
    const retried = await place(no);
    assert.equal(retried.json.code_url, fake.order(no)?.codeUrl);
  });

  it('{delayMs} holds the answer past the client\'s timeout; the request still takes effect', async () => {
    fake.failNext((r) => r.method === 'POST' && r.path.startsWith('/v3/global/transactions/native'), { delayMs: 400 });
    const no = nextNo('F');
    await assert.rejects(place(no, { signal: AbortSignal.timeout(50) }));
    await fake.idle();
    assert.ok(fake.order(no), 'processed after the delay');
  });

  it('{dropConnection} resets the socket, before or after processing', async () => {
    fake.failNext('/v3/global/transactions/native', { dropConnection: true });
    const lost = nextNo('F');
    await assert.rejects(place(lost));
    assert.equal(fake.order(lost), undefined);
    fake.failNext('/v3/global/transactions/native', { dropConnection: true, afterProcessing: true });
    const kept = nextNo('F');
    await assert.rejects(place(kept));
    await fake.idle();
    assert.ok(fake.order(kept));
  });

  it('{badResponseSignature} and {unsignedResponse} spoil the answer\'s signature', async () => {
    fake.failNext('/v3/global/transactions/native', { badResponseSignature: true });
    const bad = await place(nextNo('F'));
    assert.equal(bad.status, 200);
    assert.equal(verifyWechatpay(bad.headers, bad.text, fake.wechatpayPublicKeyPem), false);
    fake.failNext('/v3/global/transactions/native', { unsignedResponse: true });
    const unsigned = await place(nextNo('F'));
    assert.equal(unsigned.headers.get('wechatpay-signature'), null);
  });

  it('times: fails the next N matching requests only', async () => {
    fake.failNext('/v3/global/transactions/out-trade-no/', { status: 502 }, { times: 2 });
    const no = nextNo('F');
    await place(no);
    const path = `/v3/global/transactions/out-trade-no/${no}?mchid=${merchant.config.mchid}`;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(fake, merchant, 'GET', path)).status);
    assert.deepEqual(statuses, [502, 502, 200]);
    const injected = fake.requestsTo('/v3/global/transactions/out-trade-no/').filter((r) => r.injected);
    assert.equal(injected.length, 2);
  });

  it('retries a notification on its own until the merchant answers 2xx', async () => {
    const no = nextNo('A');
    await place(no);
    const seen = receiver.received.length;
    receiver.answer = (n) => (n < seen + 3 ? { status: 503 } : { status: 200 });
    const record = await fake.pay(no);
    assert.ok(record);
    await fake.idle();
    assert.equal(record.acknowledged, true);
    assert.deepEqual(record.attempts.map((a) => a.status), [503, 503, 200]);
    receiver.answer = () => ({ status: 204 });
  });

  it('a merchant that never answers times the notification out; retries stop after the schedule', async () => {
    const no = nextNo('H');
    await place(no);
    receiver.answer = () => 'hang';
    const record = await fake.pay(no);
    await fake.idle();
    assert.ok(record);
    assert.equal(record.acknowledged, false);
    assert.equal(record.attempts.length, 4, 'first try + 3 scheduled retries');
    assert.ok(record.attempts.every((a) => a.error === 'timeout'));
    receiver.answer = () => ({ status: 204 });
  });

  it('without platform certificates, the certificate download is refused (public-key mode only)', async () => {
    const reply = await call(fake, merchant, 'GET', '/v3/global/certificates');
    assert.equal(reply.status, 404);
  });
});

describe('fake WeChat Pay: clock', () => {
  it('judges the timestamp window with its own clock', async () => {
    const merchant = makeMerchant({ mode: 'common', mchid: '1900000400', appid: 'wx4444444444444444' }, false);
    const fake = await FakeWechatPay.start({ merchants: [merchant.config], clockOffsetSeconds: 600 });
    try {
      const body = nativeBody(merchant, nextNo('K'), 'http://127.0.0.1:9/notify');
      assert.equal((await call(fake, merchant, 'POST', '/v3/global/transactions/native', body)).status, 401);
      assert.equal((await call(fake, merchant, 'POST', '/v3/global/transactions/native', body, { timestampOffsetSeconds: 600 })).status, 200);
    } finally {
      await fake.stop();
    }
  });
});

describe('fake WeChat Pay: its primitives agree with the published SDK vectors', () => {
  const vectors = (name: string) => JSON.parse(readFileSync(new URL(`../../vectors/wechatpay/${name}`, import.meta.url), 'utf8'));

  it('AEAD_AES_256_GCM (the 32-byte Java vector) encrypts and decrypts like the SDK', () => {
    const v = vectors('aes-gcm.json').vectors.find((x: { name: string }) => x.name === 'java-aes-256-gcm');
    assert.equal(aeadEncrypt(v.key, v.nonce, v.associatedData, v.plaintext), v.ciphertextBase64);
    assert.equal(aeadDecrypt(v.key, v.nonce, v.associatedData, v.ciphertextBase64), v.plaintext);
    assert.throws(() => aeadDecrypt(v.key, v.nonce, 'bad-associatedData', v.ciphertextBase64));
  });

  it('signing strings and Authorization parsing match the SDK layout; signatures verify', () => {
    for (const v of vectors('request-signing.json').vectors) {
      const message = requestSigningMessage(v.method, v.canonicalUrl, v.timestamp, v.nonce, Buffer.from(v.body));
      assert.equal(message.toString('utf8'), v.expectedSigningString);
      const header = `WECHATPAY2-SHA256-RSA2048 ${v.expectedMockHeader.slice('WECHATPAY2-Mock '.length).replace(/signature="[^"]*"/s, 'signature="c2ln"')}`;
      assert.deepEqual(parseAuthorization(header), { mchid: v.mchid, nonce_str: v.nonce, timestamp: v.timestamp, serial_no: v.serialNo, signature: 'c2ln' });
      assert.equal(parseAuthorization(header.replace('WECHATPAY2-SHA256-RSA2048', 'WECHATPAY2-Mock')), null);
    }
    const rsa = vectors('rsa-signatures.json').vectors.find((x: { name: string }) => x.name === 'go-verify-with-public-key');
    assert.equal(verifyBase64(Buffer.from(rsa.message), rsa.signatureBase64, crypto.createPublicKey(rsa.publicKeyPem)), true);
    assert.equal(verifyBase64(Buffer.from('other'), rsa.signatureBase64, crypto.createPublicKey(rsa.publicKeyPem)), false);
    assert.equal(verifyBase64(Buffer.from(rsa.message), `${PROBE_PREFIX}${rsa.signatureBase64}`, crypto.createPublicKey(rsa.publicKeyPem)), false);
    const notification = vectors('notifications.json').vectors[0];
    const cert = new crypto.X509Certificate(notification.platformCertificatePem);
    const message = responseSigningMessage(notification.headers['Wechatpay-Timestamp'], notification.headers['Wechatpay-Nonce'], notification.body);
    assert.equal(verifyBase64(message, notification.headers['Wechatpay-Signature'], cert.publicKey), true);
  });
});

describe('fake WeChat Pay: merchants are kept apart; states', () => {
  it('two merchants may use the same numbers without seeing each other\'s orders or refunds', async () => {
    const a = makeMerchant({ mode: 'common', mchid: '1900000501', appid: 'wx5555555555555551' }, false);
    const b = makeMerchant({ mode: 'common', mchid: '1900000502', appid: 'wx5555555555555552' }, false);
    const fake = await FakeWechatPay.start({ merchants: [a.config, b.config] });
    try {
      const no = nextNo('M');
      const notify = 'http://127.0.0.1:9/notify';
      assert.equal((await call(fake, a, 'POST', '/v3/global/transactions/native', nativeBody(a, no, notify))).status, 200);
      assert.equal((await call(fake, b, 'POST', '/v3/global/transactions/native', nativeBody(b, no, notify, { amount: { total: 5, currency: 'HKD' } }))).status, 200);
      assert.throws(() => fake.order(no), /several merchants/);
      assert.equal(fake.order(no, { mchid: b.config.mchid })?.total, 5);
      const orderA = fake.order(no, { mchid: a.config.mchid });
      assert.ok(orderA);
      orderA.state = 'SUCCESS';
      orderA.payer = { payerTotal: 1000, payerCurrency: 'HKD', rate: 100_000_000, openid: 'o' };
      orderA.transactionId = '4200000000000000000000000001';
      const refundNo = nextNo('MR');
      const refund = await call(fake, a, 'POST', '/v3/global/refunds', { mchid: a.config.mchid, appid: a.config.appid, out_trade_no: no, out_refund_no: refundNo, amount: { refund: 10, total: 1000, currency: 'HKD' } });
      assert.equal(refund.status, 200);
      const seenByB = await call(fake, b, 'GET', `/v3/global/refunds/out-refund-no/${refundNo}?mchid=${b.config.mchid}`);
      assert.equal(seenByB.status, 404);
      const byIdB = await call(fake, b, 'GET', `/v3/global/transactions/id/${orderA.transactionId}?mchid=${b.config.mchid}`);
      assert.equal(byIdB.status, 404);
    } finally {
      await fake.stop();
    }
  });

  it('USERPAYING can still be paid; a paid order cannot be paid again', async () => {
    const m = makeMerchant({ mode: 'common', mchid: '1900000600', appid: 'wx6666666666666666' }, false);
    const fake = await FakeWechatPay.start({ merchants: [m.config] });
    try {
      const no = nextNo('U');
      await call(fake, m, 'POST', '/v3/global/transactions/native', nativeBody(m, no, 'http://127.0.0.1:9/notify'));
      fake.startPaying(no);
      const paying = await call(fake, m, 'GET', `/v3/global/transactions/out-trade-no/${no}?mchid=${m.config.mchid}`);
      assert.equal(paying.json.trade_state, 'USERPAYING');
      await fake.pay(no, { notify: false });
      await assert.rejects(fake.pay(no, { notify: false }), /only NOTPAY or USERPAYING/);
      assert.throws(() => fake.decline(no));
    } finally {
      await fake.stop();
    }
  });
});

describe('fake WeChat Pay: Quick Pay (micropay) and its reversal', () => {
  let fake: FakeWechatPay;
  let merchant: Merchant;
  let receiver: Receiver;

  before(async () => {
    merchant = makeMerchant({ mode: 'common', mchid: '1900000109', appid: 'wx8888888888888888' }, true);
    fake = await FakeWechatPay.start({ merchants: [merchant.config] });
    receiver = new Receiver();
    await receiver.start();
  });

  after(async () => {
    await fake.stop();
    await receiver.stop();
  });

  function micropayBody(outTradeNo: string, authCode: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      appid: merchant.config.appid,
      mchid: merchant.config.mchid,
      description: 'Coffee',
      out_trade_no: outTradeNo,
      trade_type: 'MICROPAY',
      merchant_category_code: '5812',
      payer: { auth_code: authCode },
      amount: { total: 480, currency: 'HKD' },
      ...extra,
    };
  }

  const pay = (body: Record<string, unknown>) => call(fake, merchant, 'POST', '/v3/global/micropay/transactions/pay', body);
  const reverse = (no: string) => call(fake, merchant, 'POST', `/v3/global/micropay/transactions/out-trade-no/${no}/reverse`, { mchid: merchant.config.mchid });
  const query = (no: string) => call(fake, merchant, 'GET', `/v3/global/transactions/out-trade-no/${no}?mchid=${merchant.config.mchid}`);

  it('pays at once by default: the answer is the order, SUCCESS, signed; no notification is sent', async () => {
    const no = nextNo('M');
    const reply = await pay(micropayBody(no, '134567890123456789'));
    assert.equal(reply.status, 200);
    assert.equal(verifyWechatpay(reply.headers, reply.text, fake.wechatpayPublicKeyPem), true);
    assert.equal(reply.json.trade_state, 'SUCCESS');
    assert.equal(reply.json.trade_type, 'MICROPAY');
    assert.equal(reply.json.out_trade_no, no);
    assert.equal(reply.json.amount.total, 480);
    assert.match(reply.json.id, /^4200\d{24}$/);
    await fake.idle();
    assert.equal(fake.notifications.filter((n) => n.outTradeNo === no).length, 0);
    assert.equal(fake.order(no)?.authCode, '134567890123456789');
  });

  it('USERPAYING until the customer confirms (pay) or not (decline); the query follows', async () => {
    const confirmed = nextNo('M');
    fake.onPayCode('134567890123450001', 'USERPAYING');
    const first = await pay(micropayBody(confirmed, '134567890123450001'));
    assert.equal(first.status, 200);
    assert.equal(first.json.trade_state, 'USERPAYING');
    assert.equal((await query(confirmed)).json.trade_state, 'USERPAYING');
    assert.equal(await fake.pay(confirmed), undefined, 'no notification for Quick Pay');
    assert.equal((await query(confirmed)).json.trade_state, 'SUCCESS');

    const refused = nextNo('M');
    await pay(micropayBody(refused, '134567890123450001'));
    fake.decline(refused);
    assert.equal((await query(refused)).json.trade_state, 'PAYERROR');
  });

  it('a declined pay code answers its error, signed, and the order is PAYERROR', async () => {
    const no = nextNo('M');
    fake.onPayCode('134567890123450002', { declined: { status: 403, code: 'NOT_ENOUGH', message: '余额不足' } });
    const reply = await pay(micropayBody(no, '134567890123450002'));
    assert.equal(reply.status, 403);
    assert.equal(reply.json.code, 'NOT_ENOUGH');
    assert.equal(verifyWechatpay(reply.headers, reply.text, fake.wechatpayPublicKeyPem), true);
    assert.equal(fake.order(no)?.state, 'PAYERROR');
  });

  it('an unknown outcome: the answer is lost after the charge, and the same request again answers ORDERPAID (the query says SUCCESS)', async () => {
    const no = nextNo('M');
    fake.failNext('/v3/global/micropay/', { status: 500, afterProcessing: true });
    const lost = await pay(micropayBody(no, '134567890123456780'));
    assert.equal(lost.status, 500);
    assert.equal(fake.order(no)?.state, 'SUCCESS');
    const again = await pay(micropayBody(no, '134567890123456780'));
    assert.equal(again.status, 403);
    assert.equal(again.json.code, 'ORDERPAID');
    assert.equal((await query(no)).json.trade_state, 'SUCCESS');
    const changed = await pay(micropayBody(no, '134567890123456781'));
    assert.equal(changed.json.code, 'INVALID_REQUEST', 'another pay code needs another out_trade_no');
  });

  it('checks the body: MICROPAY, an 18-digit pay code, no notify_url', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ trade_type: 'NATIVE' }, '/trade_type'],
      [{ payer: { auth_code: '99' } }, '/payer/auth_code'],
      [{ payer: undefined }, '/payer'],
      [{ notify_url: receiver.url }, '/notify_url'],
      [{ amount: { total: 480 } }, '/amount/currency'],
    ];
    for (const [change, field] of cases) {
      const reply = await pay(JSON.parse(JSON.stringify({ ...micropayBody(nextNo('M'), '134567890123456789'), ...change })));
      assert.equal(reply.status, 400, field);
      assert.equal(reply.json.code, 'PARAM_ERROR', field);
      assert.equal(reply.json.detail.field, field);
    }
  });

  it('reverse: an unpaid order is REVOKED (re-entrant); a paid one is REVOKED with its money back; close refuses Quick Pay orders', async () => {
    const waiting = nextNo('M');
    fake.onPayCode('134567890123450003', 'USERPAYING');
    await pay(micropayBody(waiting, '134567890123450003'));
    const closed = await call(fake, merchant, 'POST', `/v3/global/transactions/out-trade-no/${waiting}/close`, { mchid: merchant.config.mchid });
    assert.equal(closed.status, 400);
    assert.equal(closed.json.code, 'INVALID_REQUEST');
    const reversed = await reverse(waiting);
    assert.equal(reversed.status, 204);
    assert.equal(verifyWechatpay(reversed.headers, reversed.text, fake.wechatpayPublicKeyPem), true);
    assert.equal((await query(waiting)).json.trade_state, 'REVOKED');
    assert.equal((await reverse(waiting)).status, 204, 'again');
    assert.equal(fake.order(waiting)?.reversedAfterPayment, undefined);

    const paid = nextNo('M');
    await pay(micropayBody(paid, '134567890123456789'));
    assert.equal((await reverse(paid)).status, 204);
    assert.equal(fake.order(paid)?.state, 'REVOKED');
    assert.equal(fake.order(paid)?.reversedAfterPayment, true);

    const native = nextNo('N');
    await call(fake, merchant, 'POST', '/v3/global/transactions/native', nativeBody(merchant, native, receiver.url));
    assert.equal((await reverse(native)).json.code, 'INVALID_REQUEST');
    assert.equal((await reverse(nextNo('X'))).json.code, 'ORDER_NOT_EXIST');
  });
});

describe('fake WeChat Pay: the official account\'s OAuth (snsapi_base)', () => {
  let fake: FakeWechatPay;
  const appid = 'wx1111111111111111';
  const secret = 'a'.repeat(32);

  before(async () => {
    const merchant = makeMerchant({ mode: 'common', mchid: '1900000109', appid }, false);
    fake = await FakeWechatPay.start({ merchants: [merchant.config], officialAccounts: [{ appid, secret }] });
  });

  after(() => fake.stop());

  async function authorize(query: string): Promise<Response> {
    return fetch(`${fake.baseUrl}/connect/oauth2/authorize?${query}`, { redirect: 'manual' });
  }

  async function token(code: string, withSecret = secret): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const res = await fetch(`${fake.baseUrl}/sns/oauth2/access_token?appid=${appid}&secret=${withSecret}&code=${code}&grant_type=authorization_code`);
    return res.json();
  }

  it('authorize redirects back with a code and the state; the code gives the signed-in user\'s openid, once', async () => {
    fake.signInAs(appid, 'oUser000000000000000000000001');
    const back = 'http://127.0.0.1:1/pay/abc?lang=zh';
    const res = await authorize(`appid=${appid}&redirect_uri=${encodeURIComponent(back)}&response_type=code&scope=snsapi_base&state=s123`);
    assert.equal(res.status, 302);
    const location = new URL(String(res.headers.get('location')));
    assert.equal(`${location.origin}${location.pathname}`, 'http://127.0.0.1:1/pay/abc');
    assert.equal(location.searchParams.get('lang'), 'zh');
    assert.equal(location.searchParams.get('state'), 's123');
    const code = String(location.searchParams.get('code'));
    assert.equal((await token(code, 'wrong')).errcode, 40125);
    const answer = await token(code);
    assert.equal(answer.openid, 'oUser000000000000000000000001');
    assert.equal(answer.scope, 'snsapi_base');
    assert.equal((await token(code)).errcode, 40163, 'a code is used once');
    assert.equal((await token('nonsense')).errcode, 40029);
  });

  it('refuses an unknown appid or a scope other than snsapi_base/snsapi_userinfo', async () => {
    assert.equal((await authorize(`appid=wx0000000000000000&redirect_uri=http%3A%2F%2F127.0.0.1%2F&response_type=code&scope=snsapi_base`)).status, 400);
    assert.equal((await authorize(`appid=${appid}&redirect_uri=http%3A%2F%2F127.0.0.1%2F&response_type=code&scope=snsapi_login`)).status, 400);
  });
});

describe('fake WeChat Pay: mini programs (JSAPI ordered with the mini program\'s appid)', () => {
  let fake: FakeWechatPay;
  let merchant: Merchant;
  let institution: Merchant;
  const official = 'wx8888888888888888';
  const mini = 'wxm1n1000000000001';

  before(async () => {
    merchant = makeMerchant({ mode: 'common', mchid: '1900000109', appid: official, appids: [mini] }, false);
    institution = makeMerchant({ mode: 'institutional', mchid: '1900000100', spAppid: 'wxsp000000000001', subMchids: ['20000100'], subAppids: [mini] }, false);
    fake = await FakeWechatPay.start({ merchants: [merchant.config, institution.config] });
  });

  after(() => fake.stop());

  function jsapi(appid: string, openid: string): Record<string, unknown> {
    return { ...nativeBody(merchant, nextNo('M'), 'http://127.0.0.1:1/notify'), appid, trade_type: 'JSAPI', payer: { openid } };
  }

  function invokeFor(signer: Merchant, appId: string, prepayId: string) {
    const invoke = { appId, timeStamp: String(Math.floor(Date.now() / 1000)), nonceStr: 'N0nceStr', package: `prepay_id=${prepayId}`, signType: 'RSA', paySign: '' };
    invoke.paySign = crypto.sign('sha256', Buffer.from(`${invoke.appId}\n${invoke.timeStamp}\n${invoke.nonceStr}\n${invoke.package}\n`), signer.privateKey).toString('base64');
    return invoke;
  }

  it('common mode: an appid bound to the merchant (its mini program) orders; wx.requestPayment\'s parameters must name that appid', async () => {
    const openid = fake.miniProgramLogin(mini);
    const reply = await call(fake, merchant, 'POST', '/v3/global/transactions/jsapi', jsapi(mini, openid));
    assert.equal(reply.status, 200);
    assert.equal(fake.checkJsapiInvoke(merchant.config.mchid, invokeFor(merchant, mini, reply.json.prepay_id)), null);
    assert.match(fake.checkJsapiInvoke(merchant.config.mchid, invokeFor(merchant, official, reply.json.prepay_id)) ?? '', /appId/);
  });

  it('common mode: an appid not bound to the merchant is APPID_MCHID_NOT_MATCH', async () => {
    const reply = await call(fake, merchant, 'POST', '/v3/global/transactions/jsapi', jsapi('wx0ther0000000001', 'oSomeone0000000000000000001'));
    assert.equal(reply.status, 400);
    assert.equal(reply.json.code, 'APPID_MCHID_NOT_MATCH');
  });

  it('an openid it gave out for one app, ordered with another, is PARAM_ERROR; one it never gave out is taken', async () => {
    const ofMini = fake.miniProgramLogin(mini, 'oMiniUser00000000000000000001');
    assert.equal(ofMini, 'oMiniUser00000000000000000001');
    const crossed = await call(fake, merchant, 'POST', '/v3/global/transactions/jsapi', jsapi(official, ofMini));
    assert.equal(crossed.status, 400);
    assert.equal(crossed.json.code, 'PARAM_ERROR');
    assert.match(crossed.json.message, /openid/);
    const unknown = await call(fake, merchant, 'POST', '/v3/global/transactions/jsapi', jsapi(official, 'oNeverIssued000000000000001'));
    assert.equal(unknown.status, 200);
  });

  it('institutional mode: the mini program as sub_appid with the user\'s sub_openid; an unbound sub_appid is refused', async () => {
    const openid = fake.miniProgramLogin(mini);
    const body = { ...institutionalBody(institution, nextNo('MI'), 'http://127.0.0.1:1/notify'), trade_type: 'JSAPI', sub_appid: mini, payer: { sub_openid: openid } };
    const reply = await call(fake, institution, 'POST', '/v3/global/transactions/jsapi', body);
    assert.equal(reply.status, 200);
    assert.equal(fake.checkJsapiInvoke(institution.config.mchid, invokeFor(institution, mini, reply.json.prepay_id)), null);
    const unbound = await call(fake, institution, 'POST', '/v3/global/transactions/jsapi', { ...body, out_trade_no: nextNo('MI'), sub_appid: 'wx0ther0000000001' });
    assert.equal(unbound.json.code, 'APPID_MCHID_NOT_MATCH');
    const crossed = await call(fake, institution, 'POST', '/v3/global/transactions/jsapi', { ...body, out_trade_no: nextNo('MI'), payer: { sp_openid: openid } });
    assert.equal(crossed.json.code, 'PARAM_ERROR', "the mini program's openid is not the institution app's");
  });
});
