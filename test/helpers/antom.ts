import crypto from 'node:crypto';
import type { OpenedAccount, ProviderFactory } from '../../src/channels/provider-registry.js';
import { ANTOM_MODULE } from '../../src/channels/antom/antom-module.js';
import { createAntomProvider, type AntomProvider, type AntomProviderOptions } from '../../src/channels/antom/antom-provider.js';
import { FakeAntom, type FakeAntomOptions } from '../fakes/antom/fake-antom.js';
import { configureProvider, type TestGateway } from './gateway.js';

/**
 * An Antom merchant for tests: its Client-Id and RSA-2048 key pair (the public half is what
 * the merchant uploads to the Antom Dashboard, here registered with a FakeAntom), and the
 * settings `latipay provider set … alipay` takes for it.
 */
export interface AntomMerchant {
  readonly clientId: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
  readonly keyVersion: string;
}

let keyPairs: Array<{ publicKey: crypto.KeyObject; privateKey: crypto.KeyObject }> = [];

/** An RSA-2048 key pair; a few are generated once per process and reused (generating is slow). */
export function antomKeyPair(index = 0): { publicKey: crypto.KeyObject; privateKey: crypto.KeyObject } {
  while (keyPairs.length <= index) keyPairs = [...keyPairs, crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })];
  return keyPairs[index];
}

export function makeAntomMerchant(options: { clientId?: string; keyIndex?: number; keyVersion?: string } = {}): AntomMerchant {
  const pair = antomKeyPair(options.keyIndex ?? 0);
  return {
    clientId: options.clientId ?? 'SANDBOX_5YEV2N2ZV8LC00920',
    privateKeyPem: pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: pair.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    keyVersion: options.keyVersion ?? '1',
  };
}

/** A FakeAntom that knows `merchants` (their public keys, as uploaded to the Dashboard). */
export function startFakeAntom(merchants: readonly AntomMerchant[], options: Omit<FakeAntomOptions, 'merchants'> = {}): Promise<FakeAntom> {
  return FakeAntom.start({
    rates: { 'NZD/CNY': '4.2' },
    ...options,
    merchants: merchants.map((m) => ({ clientId: m.clientId, publicKeyPem: m.publicKeyPem, keyVersion: m.keyVersion })),
  });
}

/** The settings `provider set … alipay` takes (file options: the files' contents), against `fake`. */
export function antomSettings(fake: FakeAntom, merchant: AntomMerchant, overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    'client-id': merchant.clientId,
    'private-key-file': merchant.privateKeyPem,
    'alipay-public-key-file': fake.antomPublicKeyPem,
    'key-version': merchant.keyVersion,
    'base-url': fake.baseUrl,
    ...overrides,
  };
}

/** An opened account as the registry hands it to the factory. */
export function antomAccount(fake: FakeAntom, merchant: AntomMerchant, notifyUrl: string, overrides: Record<string, string | undefined> = {}): OpenedAccount {
  const { config, secrets } = ANTOM_MODULE.parseSettings(antomSettings(fake, merchant, overrides));
  return { id: 'pa_antom_test', walletId: 'W000000001', provider: 'antom', methods: ['alipay'], config, secrets, notifyUrl };
}

/** Adapter options for tests: short timeouts, no pause before an inquiry. */
export const TEST_ADAPTER_OPTIONS: AntomProviderOptions = { timeoutMs: 1_500, inquiryDelayMs: 0 };

export function testAntomProvider(fake: FakeAntom, merchant: AntomMerchant, notifyUrl: string, options: AntomProviderOptions = {}): AntomProvider {
  return createAntomProvider(antomAccount(fake, merchant, notifyUrl), { ...TEST_ADAPTER_OPTIONS, ...options });
}

/** The registry's factories with the Antom adapter built with `options`. */
export function antomFactories(options: AntomProviderOptions = {}): ReadonlyMap<string, ProviderFactory> {
  return new Map([['antom', (account: OpenedAccount) => createAntomProvider(account, { ...TEST_ADAPTER_OPTIONS, ...options })]]);
}

/** Gives a test gateway's wallet an Antom account against `fake`, as `provider set` does. Answers the account id. */
export async function configureAntom(gw: TestGateway, walletId: string, fake: FakeAntom, merchant: AntomMerchant): Promise<string> {
  const { config, secrets } = ANTOM_MODULE.parseSettings(antomSettings(fake, merchant));
  return configureProvider(gw, walletId, 'antom', ['alipay'], config, secrets);
}
