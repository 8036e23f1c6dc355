import type { KeyObject } from 'node:crypto';
import { need, ProviderSettingsError, value, type ProviderModule, type ProviderOption, type Settings } from '../provider-module.js';
import { DEFAULT_BASE_URL, type AntomConfig, type AntomSecrets } from './antom-account.js';
import { createAntomProvider } from './antom-provider.js';
import { keyFingerprint, parsePrivateKey, parsePublicKey } from './antom-signature.js';

/**
 * Alipay through Antom as operators configure it: `latipay provider set WALLET_ID alipay
 * --client-id … --private-key-file … --alipay-public-key-file …` (docs/providers/antom.md says
 * where each value comes from). Every setting is checked here, so that a mistake is an error
 * naming its flag now rather than a refused payment later; the private key comes from a file
 * and is sealed; `provider show` prints the client id, key version, region, base URL and the
 * keys' SHA-256 fingerprints, never a secret.
 */

const OPTIONS: readonly ProviderOption[] = [
  { flag: 'client-id', description: 'the Client ID from the Antom Dashboard (Developer › Quick start); sandbox ids start with SANDBOX_', required: true },
  { flag: 'private-key-file', description: 'file of the merchant RSA-2048 private key whose public key is uploaded to Antom (PEM, or the base64 the Dashboard tool gives)', required: true, file: true },
  { flag: 'alipay-public-key-file', description: "file of Antom's (Alipay's) public key from the Dashboard's integration resources (PEM or base64)", required: true, file: true },
  { flag: 'key-version', description: 'the version of the key pair on the Antom Dashboard (default 1)', required: false },
  { flag: 'merchant-region', description: 'the ISO 3166 two-letter region the merchant operates in, sent as merchantRegion, e.g. NZ (default: not sent)', required: false },
  { flag: 'base-url', description: `Antom API base URL (default ${DEFAULT_BASE_URL}, the Asia domain)`, required: false },
];


function rsa2048(flag: string, key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'rsa') throw new ProviderSettingsError(flag, `holds a ${key.asymmetricKeyType ?? 'non-RSA'} key; ${what} must be RSA (Antom signs with RSA256)`);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits !== 2048) throw new ProviderSettingsError(flag, `holds a ${bits}-bit RSA key; Antom's keys are RSA-2048`);
}

function privateKeyOf(settings: Settings): { pem: string; key: KeyObject } {
  const flag = 'private-key-file';
  const text = need(settings, flag);
  if (text.includes('CERTIFICATE-----') || text.includes('PUBLIC KEY-----')) throw new ProviderSettingsError(flag, 'holds a public key or certificate: it must be the merchant private key');
  let key: KeyObject;
  try {
    key = parsePrivateKey(text);
  } catch {
    throw new ProviderSettingsError(flag, 'does not parse as an unencrypted private key (PEM, or the base64 PKCS#8 the Antom key tool gives)');
  }
  rsa2048(flag, key, 'the merchant key');
  return { pem: key.export({ type: 'pkcs8', format: 'pem' }).toString(), key };
}

function publicKeyOf(settings: Settings): { pem: string; key: KeyObject } {
  const flag = 'alipay-public-key-file';
  const text = need(settings, flag);
  if (text.includes('PRIVATE KEY-----')) throw new ProviderSettingsError(flag, "holds a private key: it must be Antom's public key, never a private key");
  let key: KeyObject;
  try {
    key = parsePublicKey(text);
  } catch {
    throw new ProviderSettingsError(flag, 'does not parse as a public key (PEM, or the base64 the Antom Dashboard shows)');
  }
  rsa2048(flag, key, "Antom's key");
  return { pem: key.export({ type: 'spki', format: 'pem' }).toString(), key };
}

function baseUrlOf(settings: Settings): string {
  const flag = 'base-url';
  const text = value(settings, flag);
  if (text === undefined) return DEFAULT_BASE_URL;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ProviderSettingsError(flag, `must be an absolute URL, got ${JSON.stringify(text.slice(0, 64))}`);
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new ProviderSettingsError(flag, 'must be https (plain http only on a loopback address, for a test double)');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
    throw new ProviderSettingsError(flag, `must be an origin only, such as ${DEFAULT_BASE_URL}`);
  }
  return url.origin;
}

function parseSettings(settings: Settings): { config: Record<string, unknown>; secrets: Record<string, string> } {
  const clientId = need(settings, 'client-id');
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(clientId)) throw new ProviderSettingsError('client-id', `must be the Antom Client ID (letters, digits, _ and -), got ${JSON.stringify(clientId.slice(0, 64))}`);
  const privateKey = privateKeyOf(settings);
  const publicKey = publicKeyOf(settings);
  if (keyFingerprint(privateKey.key) === keyFingerprint(publicKey.key)) {
    throw new ProviderSettingsError('alipay-public-key-file', "is the merchant's own public key: it must be Antom's public key (Dashboard › Integration resources)");
  }
  const keyVersion = value(settings, 'key-version') ?? '1';
  if (!/^[1-9]\d{0,5}$/.test(keyVersion)) throw new ProviderSettingsError('key-version', `must be a positive whole number, got ${JSON.stringify(keyVersion.slice(0, 16))}`);
  const region = value(settings, 'merchant-region')?.toUpperCase();
  if (region !== undefined && !/^[A-Z]{2}$/.test(region)) throw new ProviderSettingsError('merchant-region', `must be an ISO 3166 two-letter code such as NZ, got ${JSON.stringify(region.slice(0, 16))}`);
  const config: AntomConfig = {
    client_id: clientId,
    key_version: keyVersion,
    antom_public_key: publicKey.pem,
    ...(region ? { merchant_region: region } : {}),
    base_url: baseUrlOf(settings),
  };
  const secrets: AntomSecrets = { private_key: privateKey.pem };
  return { config: { ...config }, secrets: { ...secrets } };
}

function fingerprintOrProblem(fingerprint: () => string): string {
  try {
    return fingerprint();
  } catch (error) {
    return `unreadable (${(error as Error).message})`;
  }
}

function describe(config: Readonly<Record<string, unknown>>, secrets: Readonly<Record<string, string>>): Record<string, string> {
  const c = config as unknown as AntomConfig;
  const s = secrets as unknown as Partial<AntomSecrets>;
  return {
    client_id: c.client_id,
    environment: c.client_id.startsWith('SANDBOX_') ? 'sandbox (online payments at /ams/sandbox/api)' : 'live',
    key_version: c.key_version,
    merchant_region: c.merchant_region ?? 'not sent',
    base_url: c.base_url,
    private_key: s.private_key ? fingerprintOrProblem(() => keyFingerprint(parsePrivateKey(s.private_key as string))) : 'missing',
    alipay_public_key: fingerprintOrProblem(() => keyFingerprint(parsePublicKey(c.antom_public_key))),
  };
}

export const ANTOM_MODULE: ProviderModule = {
  name: 'antom',
  cliName: 'alipay',
  methods: ['alipay'],
  options: OPTIONS,
  parseSettings,
  describe,
  create: (account) => createAntomProvider(account),
};
