import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OpenedAccount, ProviderFactory } from '../../src/channels/provider-registry.js';
import type { PaymentProvider } from '../../src/channels/provider.js';
import { NotificationRejectedError } from '../../src/channels/provider.js';
import { WECHATPAY_MODULE } from '../../src/channels/wechatpay/wechatpay-module.js';
import { createWechatpayProvider, type WechatpayProvider, type WechatpayProviderOptions } from '../../src/channels/wechatpay/wechatpay-provider.js';
import type { FakeMerchant, FakeWechatPay } from '../fakes/wechatpay/fake-wechatpay.js';
import { createSelfSignedCertificate } from '../fakes/wechatpay/x509.js';
import { configureProvider, type TestGateway } from './gateway.js';

/**
 * A WeChat Pay merchant for tests: its API key pair and certificate, its APIv3 key, and the
 * settings `latipay provider set … wechat` takes for it against a FakeWechatPay.
 */
export interface WechatMerchant {
  readonly mode: 'common' | 'institutional';
  /** Common: the merchant; institutional: the sub-merchant (--mchid is the sub-merchant's). */
  readonly mchid: string;
  readonly appid: string;
  /** Institutional mode: the institution. */
  readonly spMchid?: string;
  readonly spAppid?: string;
  readonly serial: string;
  readonly privateKeyPem: string;
  readonly apiV3Key: string;
  /** How the fake knows the merchant that signs. */
  readonly fake: FakeMerchant;
}

let keyPairs: Array<{ publicKey: crypto.KeyObject; privateKey: crypto.KeyObject }> = [];

/** An RSA 2048 key pair; a few are generated once per process and reused (generating is slow). */
function keyPair(index: number) {
  while (keyPairs.length <= index) keyPairs = [...keyPairs, crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })];
  return keyPairs[index];
}

export function makeWechatMerchant(
  options: { mode?: 'common' | 'institutional'; mchid?: string; appid?: string; spMchid?: string; spAppid?: string; keyIndex?: number } = {},
): WechatMerchant {
  const mode = options.mode ?? 'common';
  const pair = keyPair(options.keyIndex ?? 0);
  const apiV3Key = crypto.randomBytes(24).toString('base64');
  const cert = createSelfSignedCertificate(pair, { commonName: 'merchant' });
  const mchid = options.mchid ?? '1900000109';
  const appid = options.appid ?? 'wx8888888888888888';
  const privateKeyPem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  if (mode === 'common') {
    return { mode, mchid, appid, serial: cert.serial, privateKeyPem, apiV3Key, fake: { mode, mchid, appid, publicKeyPem: cert.pem, apiV3Key } };
  }
  const spMchid = options.spMchid ?? '1900000100';
  const spAppid = options.spAppid ?? 'wx7777777777777777';
  return {
    mode,
    mchid,
    appid,
    spMchid,
    spAppid,
    serial: cert.serial,
    privateKeyPem,
    apiV3Key,
    fake: { mode, mchid: spMchid, spAppid, subMchids: [mchid], publicKeyPem: cert.pem, apiV3Key },
  };
}

/** The flags of `latipay provider set WALLET wechat …` for this merchant and fake (file flags hold the files' contents). */
export function wechatSettings(fake: FakeWechatPay, merchant: WechatMerchant, extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    mchid: merchant.mchid,
    appid: merchant.appid,
    serial: merchant.serial,
    'private-key-file': merchant.privateKeyPem,
    'apiv3-key-file': `${merchant.apiV3Key}\n`,
    'wechatpay-public-key-file': fake.wechatpayPublicKeyPem,
    'wechatpay-public-key-id': fake.wechatpayPublicKeyId,
    'merchant-category-code': '5812',
    'base-url': fake.baseUrl,
    ...(merchant.mode === 'institutional' ? { 'sp-mchid': merchant.spMchid, 'sp-appid': merchant.spAppid } : {}),
    ...extra,
  };
}

/** The opened account an adapter is built from, as the registry hands it over. */
export function wechatAccount(fake: FakeWechatPay, merchant: WechatMerchant, notifyUrl: string, extra: Record<string, string | undefined> = {}): OpenedAccount {
  const { config, secrets } = WECHATPAY_MODULE.parseSettings(wechatSettings(fake, merchant, extra));
  return { id: 'pa_wechat_test', walletId: 'W000000001', provider: 'wechatpay', methods: ['wechat'], config, secrets, notifyUrl };
}

export function wechatProvider(
  fake: FakeWechatPay,
  merchant: WechatMerchant,
  notifyUrl: string,
  extra: Record<string, string | undefined> = {},
  options: WechatpayProviderOptions = {},
): WechatpayProvider {
  return createWechatpayProvider(wechatAccount(fake, merchant, notifyUrl, extra), { timeoutMs: 2_000, ...options });
}

/**
 * A loopback notify_url that hands what arrives to an adapter's receiveNotification and
 * answers as the gateway's route does (its ack, or the rejection's), keeping what happened.
 */
export class NotificationInbox {
  readonly received: Array<{ status: number; body: string; events?: Awaited<ReturnType<PaymentProvider['receiveNotification']>>['events']; rejected?: string }> = [];
  provider: PaymentProvider | undefined;
  url = '';
  readonly #server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(req.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      const provider = this.provider;
      if (!provider) {
        res.writeHead(503).end();
        return;
      }
      provider.receiveNotification({ headers, rawBody: Buffer.concat(chunks) }).then(
        (received) => {
          this.received.push({ status: received.ack.status, body: received.ack.body, events: received.events });
          res.writeHead(received.ack.status, { 'Content-Type': received.ack.contentType }).end(received.ack.body);
        },
        (error: unknown) => {
          const ack = error instanceof NotificationRejectedError ? error.ack : { status: 500, contentType: 'text/plain', body: 'error' };
          this.received.push({ status: ack.status, body: ack.body, rejected: error instanceof Error ? error.message : String(error) });
          res.writeHead(ack.status, { 'Content-Type': ack.contentType }).end(ack.body);
        },
      );
    });
  });

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/channels/wechatpay/notify/pa_wechat_test`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** The gateway's adapters with the WeChat Pay one pointed at the fake (its OAuth too), with a short timeout. */
export function wechatFactories(fake: FakeWechatPay, options: WechatpayProviderOptions = {}): ReadonlyMap<string, ProviderFactory> {
  const oauth = { authorizeUrl: `${fake.baseUrl}/connect/oauth2/authorize`, apiBaseUrl: fake.baseUrl };
  return new Map([['wechatpay', (account: OpenedAccount) => createWechatpayProvider(account, { timeoutMs: 2_000, oauth, ...options })]]);
}

/** Gives the gateway's merchant wallet a WeChat Pay account on the fake, as `latipay provider set … wechat` does. Answers the account id. */
export function configureWechat(gw: TestGateway, fake: FakeWechatPay, merchant: WechatMerchant, extra: Record<string, string | undefined> = {}, walletId = gw.merchant.wallet_id): Promise<string> {
  const { config, secrets } = WECHATPAY_MODULE.parseSettings(wechatSettings(fake, merchant, extra));
  return configureProvider(gw, walletId, 'wechatpay', ['wechat'], config, secrets);
}
