import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { need, ProviderSettingsError, value, type ProviderModule, type ProviderOption, type Settings } from '../provider-module.js';
import { DEFAULT_BASE_URL, type WechatpayConfig, type WechatpaySecrets } from './wechatpay-account.js';
import { publicKeyFingerprint } from './wechatpay-crypto.js';
import { createWechatpayProvider } from './wechatpay-provider.js';
import { parsePlatformCertificates } from './wechatpay-verifier.js';

/**
 * WeChat Pay as operators configure it: `latipay provider set WALLET_ID wechat --mchid …`
 * (docs/providers/wechatpay.md says where each value comes from). Every setting is checked
 * here, so a mistake is an error naming its flag now rather than a refused payment later;
 * keys and secrets come from files and are sealed; `provider show` prints ids, serials,
 * the base URL and fingerprints, never a secret.
 */

const OPTIONS: readonly ProviderOption[] = [
  { flag: 'mchid', description: 'WeChat Pay merchant id (institutional mode: the sub-merchant\'s)', required: true },
  { flag: 'appid', description: 'the official account AppID bound to the merchant (institutional mode: the sub-merchant\'s, or the same as --sp-appid when it has none)', required: true },
  { flag: 'serial', description: 'serial number of the merchant API certificate of the merchant that signs (institutional: the institution\'s)', required: true },
  { flag: 'private-key-file', description: 'PEM file of the merchant API private key (apiclient_key.pem)', required: true, file: true },
  { flag: 'apiv3-key-file', description: 'file holding the 32-character APIv3 key', required: true, file: true },
  { flag: 'wechatpay-public-key-file', description: 'PEM file of the WeChat Pay public key (pub_key.pem)', required: true, file: true },
  { flag: 'wechatpay-public-key-id', description: 'the WeChat Pay public key id, PUB_KEY_ID_…', required: true },
  { flag: 'platform-certificate-file', description: 'PEM file of WeChat Pay platform certificates still signing for the account', required: false, file: true },
  { flag: 'sp-mchid', description: 'institutional mode: the institution\'s merchant id (it signs)', required: false },
  { flag: 'sub-mchid', description: 'institutional mode: the sub-merchant id (the same as --mchid)', required: false },
  { flag: 'sp-appid', description: 'institutional mode: the institution\'s AppID', required: false },
  { flag: 'sub-appid', description: 'institutional mode: the sub-merchant\'s AppID (the same as --appid)', required: false },
  { flag: 'merchant-category-code', description: 'the 4-digit MCC WeChat Pay registered for the merchant (default 5999)', required: false },
  { flag: 'oauth-app-secret-file', description: 'file holding the official account\'s AppSecret: identifies payers inside WeChat for JSAPI payments', required: false, file: true },
  { flag: 'base-url', description: `WeChat Pay API base URL (default ${DEFAULT_BASE_URL})`, required: false },
];

export const DEFAULT_MERCHANT_CATEGORY_CODE = '5999';
const INSTITUTIONAL_FLAGS = ['sp-mchid', 'sub-mchid', 'sp-appid', 'sub-appid'] as const;
const MCHID = /^\d{1,32}$/;
const APPID = /^wx[0-9A-Za-z]{16}$/;


function matching(settings: Settings, flag: string, pattern: RegExp, what: string): string {
  const v = need(settings, flag);
  if (!pattern.test(v)) throw new ProviderSettingsError(flag, `must be ${what}, got ${JSON.stringify(v.slice(0, 64))}`);
  return v;
}

function rsaKeyCheck(flag: string, key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'rsa') throw new ProviderSettingsError(flag, `holds a ${key.asymmetricKeyType ?? 'non-RSA'} key; WeChat Pay's ${what} is RSA`);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 2048) throw new ProviderSettingsError(flag, `holds a ${bits}-bit RSA key; WeChat Pay's ${what} has at least 2048 bits`);
}

function privateKeyOf(settings: Settings): { pem: string; key: KeyObject } {
  const flag = 'private-key-file';
  const pem = need(settings, flag);
  if (!pem.includes('PRIVATE KEY-----')) throw new ProviderSettingsError(flag, 'must be a PEM private key (-----BEGIN PRIVATE KEY-----), such as apiclient_key.pem');
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (error) {
    throw new ProviderSettingsError(flag, `does not parse as an unencrypted PEM private key (${(error as Error).message})`);
  }
  rsaKeyCheck(flag, key, 'merchant API key');
  return { pem: `${pem}\n`, key };
}

function publicKeyOf(settings: Settings): { pem: string; key: KeyObject } {
  const flag = 'wechatpay-public-key-file';
  const pem = need(settings, flag);
  if (pem.includes('CERTIFICATE-----')) throw new ProviderSettingsError(flag, 'holds a certificate: give it with --platform-certificate-file, and the WeChat Pay public key (pub_key.pem) here');
  if (pem.includes('PRIVATE KEY-----')) throw new ProviderSettingsError(flag, 'holds a private key: it must be the WeChat Pay public key (pub_key.pem), never a private key');
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new ProviderSettingsError(flag, `does not parse as a PEM public key (${(error as Error).message})`);
  }
  rsaKeyCheck(flag, key, 'public key');
  return { pem: key.export({ type: 'spki', format: 'pem' }).toString(), key };
}

function apiV3KeyOf(settings: Settings): string {
  const flag = 'apiv3-key-file';
  if (settings[flag] === undefined) throw new ProviderSettingsError(flag, 'is required');
  // A trailing newline, as editors write one, is not part of the key.
  const key = (settings[flag] ?? '').replace(/[\r\n]+$/, '');
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes !== 32) throw new ProviderSettingsError(flag, `must hold the 32-character APIv3 key (AES-256 needs 32 bytes); it holds ${bytes} bytes`);
  if (!/^[\x21-\x7e]{32}$/.test(key)) throw new ProviderSettingsError(flag, 'must hold the APIv3 key as 32 printable ASCII characters');
  return key;
}

function baseUrlOf(settings: Settings): string {
  const flag = 'base-url';
  const text = value(settings, flag);
  if (text === undefined) return DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ProviderSettingsError(flag, `must be an absolute URL, got ${JSON.stringify(text)}`);
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new ProviderSettingsError(flag, 'must be https (plain http only on a loopback address, for a test double)');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
    throw new ProviderSettingsError(flag, 'must be an origin only, such as https://apihk.mch.weixin.qq.com');
  }
  return url.origin;
}

function parseSettings(settings: Settings): { config: Record<string, unknown>; secrets: Record<string, string> } {
  const mchid = matching(settings, 'mchid', MCHID, 'a WeChat Pay merchant id (digits)');
  const appid = matching(settings, 'appid', APPID, 'an AppID (wx and 16 letters or digits)');
  const spMchid = value(settings, 'sp-mchid');
  let identity: Pick<WechatpayConfig, 'mode' | 'mchid' | 'appid' | 'sp_mchid' | 'sp_appid' | 'sub_mchid' | 'sub_appid'>;
  if (spMchid === undefined) {
    const stray = INSTITUTIONAL_FLAGS.find((flag) => value(settings, flag) !== undefined);
    if (stray) throw new ProviderSettingsError(stray, 'is for institutional mode, which --sp-mchid turns on');
    identity = { mode: 'common', mchid, appid };
  } else {
    matching(settings, 'sp-mchid', MCHID, "the institution's merchant id (digits)");
    const spAppid = matching(settings, 'sp-appid', APPID, "the institution's AppID (wx and 16 letters or digits)");
    // With --sp-*, --mchid and --appid are the sub-merchant's; --sub-mchid and --sub-appid, WeChat Pay's names for them, must agree.
    const subMchid = value(settings, 'sub-mchid');
    if (subMchid !== undefined && subMchid !== mchid) throw new ProviderSettingsError('sub-mchid', `must be the same as --mchid (${mchid}), which is the sub-merchant's in institutional mode`);
    if (spMchid === mchid) throw new ProviderSettingsError('sp-mchid', "must not be --mchid: in institutional mode --mchid is the sub-merchant's");
    const subAppid = value(settings, 'sub-appid');
    if (subAppid !== undefined && subAppid !== appid) throw new ProviderSettingsError('sub-appid', `must be the same as --appid (${appid}), which is the sub-merchant's in institutional mode`);
    identity = { mode: 'institutional', sp_mchid: spMchid, sp_appid: spAppid, sub_mchid: mchid, ...(appid !== spAppid ? { sub_appid: appid } : {}) };
  }
  const serial = matching(settings, 'serial', /^[0-9A-Fa-f]{8,40}$/, 'the merchant API certificate serial (8 to 40 hex digits)').toUpperCase();
  const privateKey = privateKeyOf(settings);
  const apiV3Key = apiV3KeyOf(settings);
  const publicKey = publicKeyOf(settings);
  const publicKeyId = matching(settings, 'wechatpay-public-key-id', /^PUB_KEY_ID_[0-9A-Za-z_]{1,64}$/, 'the WeChat Pay public key id (PUB_KEY_ID_…)');
  if (publicKeyFingerprint(privateKey.key) === publicKeyFingerprint(publicKey.key)) {
    throw new ProviderSettingsError('wechatpay-public-key-file', "is the merchant's own key: it must be WeChat Pay's public key");
  }
  let certificates: string | undefined;
  const certificatePem = value(settings, 'platform-certificate-file');
  if (certificatePem !== undefined) {
    let parsed;
    try {
      parsed = parsePlatformCertificates(certificatePem);
    } catch (error) {
      throw new ProviderSettingsError('platform-certificate-file', `must hold PEM certificates (${(error as Error).message})`);
    }
    for (const cert of parsed) rsaKeyCheck('platform-certificate-file', cert.key, 'platform certificate');
    const expired = parsed.find((cert) => cert.notAfter <= Date.now());
    if (expired) throw new ProviderSettingsError('platform-certificate-file', `holds certificate ${expired.serial}, which expired on ${new Date(expired.notAfter).toISOString()}`);
    certificates = certificatePem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)?.join('\n');
  }
  const mcc = value(settings, 'merchant-category-code') ?? DEFAULT_MERCHANT_CATEGORY_CODE;
  if (!/^\d{4}$/.test(mcc)) throw new ProviderSettingsError('merchant-category-code', `must be a 4-digit MCC, got ${JSON.stringify(mcc.slice(0, 16))}`);
  const appSecret = value(settings, 'oauth-app-secret-file');
  if (appSecret !== undefined && !/^[0-9A-Za-z]{16,64}$/.test(appSecret)) {
    throw new ProviderSettingsError('oauth-app-secret-file', "must hold the official account's AppSecret (16 to 64 letters or digits)");
  }
  const config: WechatpayConfig = {
    ...identity,
    serial_no: serial,
    wechatpay_public_key_id: publicKeyId,
    wechatpay_public_key: publicKey.pem,
    ...(certificates ? { platform_certificates: certificates } : {}),
    merchant_category_code: mcc,
    base_url: baseUrlOf(settings),
    oauth: appSecret !== undefined,
  };
  const secrets: WechatpaySecrets = { private_key: privateKey.pem, apiv3_key: apiV3Key, ...(appSecret ? { oauth_app_secret: appSecret } : {}) };
  return { config: { ...config }, secrets: { ...secrets } };
}

/** A short name for a secret that reveals nothing of it. */
function secretFingerprint(secret: string): string {
  return 'sha256:' + createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 16);
}

function describe(config: Readonly<Record<string, unknown>>, secrets: Readonly<Record<string, string>>): Record<string, string> {
  const c = config as unknown as WechatpayConfig;
  const s = secrets as unknown as Partial<WechatpaySecrets>;
  const out: Record<string, string> = { mode: c.mode };
  if (c.mode === 'institutional') {
    out.sp_mchid = String(c.sp_mchid);
    out.sub_mchid = String(c.sub_mchid);
    out.sp_appid = String(c.sp_appid);
    if (c.sub_appid) out.sub_appid = c.sub_appid;
  } else {
    out.mchid = String(c.mchid);
    out.appid = String(c.appid);
  }
  out.merchant_certificate_serial = c.serial_no;
  out.private_key = s.private_key ? fingerprintOrProblem(() => publicKeyFingerprint(createPrivateKey(s.private_key as string))) : 'missing';
  out.apiv3_key = s.apiv3_key ? `set (${secretFingerprint(s.apiv3_key)})` : 'missing';
  out.wechatpay_public_key_id = c.wechatpay_public_key_id;
  out.wechatpay_public_key = fingerprintOrProblem(() => publicKeyFingerprint(createPublicKey(c.wechatpay_public_key)));
  if (c.platform_certificates) {
    out.platform_certificates = fingerprintOrProblem(() =>
      parsePlatformCertificates(c.platform_certificates as string)
        .map((cert) => `${cert.serial} (${publicKeyFingerprint(cert.key)}, until ${new Date(cert.notAfter).toISOString()})`)
        .join('; '),
    );
  }
  out.merchant_category_code = c.merchant_category_code;
  out.base_url = c.base_url;
  out.oauth = c.oauth && s.oauth_app_secret ? `on: payers inside WeChat pay with JSAPI (AppSecret ${secretFingerprint(s.oauth_app_secret)})` : 'off: payers inside WeChat long-press the QR';
  return out;
}

function fingerprintOrProblem(fingerprint: () => string): string {
  try {
    return fingerprint();
  } catch (error) {
    return `unreadable (${(error as Error).message})`;
  }
}

export const WECHATPAY_MODULE: ProviderModule = {
  name: 'wechatpay',
  cliName: 'wechat',
  methods: ['wechat'],
  options: OPTIONS,
  parseSettings,
  describe,
  create: (account) => createWechatpayProvider(account),
};
