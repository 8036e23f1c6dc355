// The WeChat Pay provider module: what `latipay provider set … wechat` accepts, how it
// splits the settings into config and sealed secrets, and what `provider show` prints.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ProviderSettingsError } from '../../../src/channels/provider-module.js';
import { findProviderModule, PROVIDER_MODULES, providerFactories } from '../../../src/channels/providers.js';
import { WECHATPAY_MODULE } from '../../../src/channels/wechatpay/wechatpay-module.js';
import { WechatpayProvider } from '../../../src/channels/wechatpay/wechatpay-provider.js';
import { FakeWechatPay } from '../../fakes/wechatpay/fake-wechatpay.js';
import { createSelfSignedCertificate } from '../../fakes/wechatpay/x509.js';
import { makeWechatMerchant, wechatSettings, type WechatMerchant } from '../../helpers/wechatpay.js';

function refusal(settings: Record<string, string | undefined>, flag: string): void {
  assert.throws(
    () => WECHATPAY_MODULE.parseSettings(settings),
    (error: unknown) => error instanceof ProviderSettingsError && error.message.startsWith(`--${flag} `),
    `expected a refusal naming --${flag}`,
  );
}

describe('WeChat Pay provider module', () => {
  let fake: FakeWechatPay;
  let merchant: WechatMerchant;
  let institution: WechatMerchant;

  before(async () => {
    merchant = makeWechatMerchant();
    institution = makeWechatMerchant({ mode: 'institutional', mchid: '20000100', appid: 'wx5555555555555555' });
    fake = await FakeWechatPay.start({ merchants: [merchant.fake] });
  });

  after(() => fake.stop());

  test('is registered as wechatpay, `wechat` on the command line, serving the wechat method', () => {
    assert.ok(PROVIDER_MODULES.includes(WECHATPAY_MODULE));
    assert.equal(findProviderModule('wechat'), WECHATPAY_MODULE);
    assert.equal(findProviderModule('wechatpay'), WECHATPAY_MODULE);
    assert.deepEqual(WECHATPAY_MODULE.methods, ['wechat']);
    assert.equal(providerFactories().get('wechatpay'), WECHATPAY_MODULE.create);
  });

  test('has exactly the documented options; secrets and keys come from files', () => {
    assert.deepEqual(
      WECHATPAY_MODULE.options.map((o) => `${o.required ? '' : '?'}${o.flag}${o.file ? ':file' : ''}`),
      [
        'mchid',
        'appid',
        'serial',
        'private-key-file:file',
        'apiv3-key-file:file',
        'wechatpay-public-key-file:file',
        'wechatpay-public-key-id',
        '?platform-certificate-file:file',
        '?sp-mchid',
        '?sub-mchid',
        '?sp-appid',
        '?sub-appid',
        '?merchant-category-code',
        '?oauth-app-secret-file:file',
        '?base-url',
      ],
    );
  });

  test('common mode: ids and public material in config; the private key, APIv3 key and AppSecret sealed', () => {
    const { config, secrets } = WECHATPAY_MODULE.parseSettings(wechatSettings(fake, merchant, { 'oauth-app-secret-file': 'a'.repeat(32), serial: merchant.serial.toLowerCase() }));
    assert.equal(config.mode, 'common');
    assert.equal(config.mchid, merchant.mchid);
    assert.equal(config.appid, merchant.appid);
    assert.equal(config.serial_no, merchant.serial, 'upper-cased');
    assert.equal(config.wechatpay_public_key_id, fake.wechatpayPublicKeyId);
    assert.equal(config.merchant_category_code, '5812');
    assert.equal(config.base_url, fake.baseUrl);
    assert.equal(config.oauth, true);
    assert.deepEqual(Object.keys(secrets).sort(), ['apiv3_key', 'oauth_app_secret', 'private_key']);
    assert.equal(secrets.apiv3_key, merchant.apiV3Key, 'the trailing newline of the file is not part of the key');
    const configText = JSON.stringify(config);
    for (const secret of [merchant.apiV3Key, 'a'.repeat(32), 'PRIVATE KEY']) assert.ok(!configText.includes(secret), `config holds no ${secret.slice(0, 8)}…`);
    const adapter = WECHATPAY_MODULE.create({ id: 'pa_1', walletId: 'W1', provider: 'wechatpay', methods: ['wechat'], config, secrets, notifyUrl: 'http://127.0.0.1:1/n' });
    assert.ok(adapter instanceof WechatpayProvider);
    assert.ok(adapter.payerIdentity);
  });

  test('defaults: the Hong Kong base URL, MCC 5999, OAuth off', () => {
    const { config } = WECHATPAY_MODULE.parseSettings(wechatSettings(fake, merchant, { 'base-url': undefined, 'merchant-category-code': undefined }));
    assert.equal(config.base_url, 'https://apihk.mch.weixin.qq.com');
    assert.equal(config.merchant_category_code, '5999');
    assert.equal(config.oauth, false);
  });

  test('institutional mode: --sp-mchid and --sp-appid with --mchid and --appid as the sub-merchant\'s', () => {
    const { config } = WECHATPAY_MODULE.parseSettings(wechatSettings(fake, institution, { 'sub-mchid': '20000100' }));
    assert.deepEqual(
      { mode: config.mode, sp_mchid: config.sp_mchid, sp_appid: config.sp_appid, sub_mchid: config.sub_mchid, sub_appid: config.sub_appid, mchid: config.mchid },
      { mode: 'institutional', sp_mchid: '1900000100', sp_appid: 'wx7777777777777777', sub_mchid: '20000100', sub_appid: 'wx5555555555555555', mchid: undefined },
    );
    const noOwnApp = WECHATPAY_MODULE.parseSettings(wechatSettings(fake, institution, { appid: institution.spAppid })).config;
    assert.equal(noOwnApp.sub_appid, undefined, '--appid equal to --sp-appid: no sub AppID');
  });

  test('refuses each bad setting with an error naming its flag', () => {
    const good = wechatSettings(fake, merchant);
    const weak = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
    const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const expiredCert = createSelfSignedCertificate(crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), { commonName: 'old', validDays: -2 });
    const cases: Array<[Record<string, string | undefined>, string]> = [
      [{ mchid: undefined }, 'mchid'],
      [{ mchid: 'M-1' }, 'mchid'],
      [{ appid: 'app' }, 'appid'],
      [{ serial: 'not-hex' }, 'serial'],
      [{ 'private-key-file': undefined }, 'private-key-file'],
      [{ 'private-key-file': 'hello' }, 'private-key-file'],
      [{ 'private-key-file': '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }, 'private-key-file'],
      [{ 'private-key-file': weak.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, 'private-key-file'],
      [{ 'private-key-file': ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, 'private-key-file'],
      [{ 'apiv3-key-file': undefined }, 'apiv3-key-file'],
      [{ 'apiv3-key-file': 'short' }, 'apiv3-key-file'],
      [{ 'apiv3-key-file': 'x'.repeat(33) }, 'apiv3-key-file'],
      [{ 'apiv3-key-file': `${'x'.repeat(30)}é` }, 'apiv3-key-file'],
      [{ 'wechatpay-public-key-file': 'nope' }, 'wechatpay-public-key-file'],
      [{ 'wechatpay-public-key-file': fake.platformCertificatePem }, 'wechatpay-public-key-file'],
      [{ 'wechatpay-public-key-file': merchant.privateKeyPem }, 'wechatpay-public-key-file'],
      [{ 'wechatpay-public-key-file': crypto.createPublicKey(merchant.privateKeyPem).export({ type: 'spki', format: 'pem' }).toString() }, 'wechatpay-public-key-file'],
      [{ 'wechatpay-public-key-file': weak.publicKey.export({ type: 'spki', format: 'pem' }).toString() }, 'wechatpay-public-key-file'],
      [{ 'wechatpay-public-key-id': '12345' }, 'wechatpay-public-key-id'],
      [{ 'platform-certificate-file': 'not a certificate' }, 'platform-certificate-file'],
      [{ 'platform-certificate-file': expiredCert.pem }, 'platform-certificate-file'],
      [{ 'merchant-category-code': '58120' }, 'merchant-category-code'],
      [{ 'oauth-app-secret-file': 'has spaces in it, not a secret' }, 'oauth-app-secret-file'],
      [{ 'base-url': 'http://apihk.mch.weixin.qq.com' }, 'base-url'],
      [{ 'base-url': 'https://apihk.mch.weixin.qq.com/v3' }, 'base-url'],
      [{ 'base-url': 'not a url' }, 'base-url'],
      [{ 'sub-mchid': '20000100' }, 'sub-mchid'],
      [{ 'sp-appid': 'wx7777777777777777' }, 'sp-appid'],
    ];
    for (const [change, flag] of cases) refusal({ ...good, ...change }, flag);
    const inst = wechatSettings(fake, institution);
    refusal({ ...inst, 'sp-appid': undefined }, 'sp-appid');
    refusal({ ...inst, 'sub-mchid': '20000999' }, 'sub-mchid');
    refusal({ ...inst, 'sub-appid': 'wx0000000000000000' }, 'sub-appid');
    refusal({ ...inst, 'sp-mchid': institution.mchid }, 'sp-mchid');
    // What is fine: a loopback http base URL (a test double), a PKCS#1 key file, an unexpired certificate.
    const pkcs1 = crypto.createPrivateKey(merchant.privateKeyPem).export({ type: 'pkcs1', format: 'pem' }).toString();
    assert.doesNotThrow(() => WECHATPAY_MODULE.parseSettings({ ...good, 'private-key-file': pkcs1, 'platform-certificate-file': fake.platformCertificatePem }));
  });

  test('describe shows ids, serials, the base URL and fingerprints, never a secret', () => {
    const { config, secrets } = WECHATPAY_MODULE.parseSettings(
      wechatSettings(fake, merchant, { 'oauth-app-secret-file': 'S3cretS3cretS3cretS3cretS3cret00', 'platform-certificate-file': fake.platformCertificatePem }),
    );
    const shown = WECHATPAY_MODULE.describe(config, secrets);
    assert.equal(shown.mode, 'common');
    assert.equal(shown.mchid, merchant.mchid);
    assert.equal(shown.merchant_certificate_serial, merchant.serial);
    assert.equal(shown.wechatpay_public_key_id, fake.wechatpayPublicKeyId);
    assert.equal(shown.base_url, fake.baseUrl);
    const spki = (pem: string) => crypto.createHash('sha256').update(crypto.createPublicKey(pem).export({ type: 'spki', format: 'der' })).digest('hex');
    assert.equal(shown.private_key, `sha256:${spki(merchant.privateKeyPem)}`, 'the fingerprint of its public half');
    assert.equal(shown.wechatpay_public_key, `sha256:${spki(fake.wechatpayPublicKeyPem)}`);
    assert.match(shown.platform_certificates, new RegExp(`^${fake.platformCertificateSerial} \\(sha256:[0-9a-f]{64}, until `));
    assert.match(shown.apiv3_key, /^set \(sha256:[0-9a-f]{16}\)$/);
    assert.match(shown.oauth, /^on: /);
    const text = JSON.stringify(shown);
    for (const secret of [merchant.apiV3Key, 'S3cretS3cretS3cretS3cretS3cret00', 'PRIVATE KEY', merchant.privateKeyPem.split('\n')[1]]) {
      assert.ok(!text.includes(secret), `nothing of ${secret.slice(0, 8)}… is shown`);
    }
  });
});
