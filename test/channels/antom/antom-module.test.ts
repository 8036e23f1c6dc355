// The Antom provider module: what `latipay provider set … alipay` accepts, how it splits the
// settings into config and sealed secrets, what `provider show` prints (never a secret), and
// the CLI round trip set → show → remove with its one-line refusals.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ProviderSettingsError } from '../../../src/channels/provider-module.js';
import { findProviderModule, PROVIDER_MODULES, providerFactories } from '../../../src/channels/providers.js';
import { DEFAULT_BASE_URL } from '../../../src/channels/antom/antom-account.js';
import { ANTOM_MODULE } from '../../../src/channels/antom/antom-module.js';
import { AntomProvider } from '../../../src/channels/antom/antom-provider.js';
import { keyFingerprint, parsePrivateKey, parsePublicKey } from '../../../src/channels/antom/antom-signature.js';
import type { FakeAntom } from '../../fakes/antom/fake-antom.js';
import { antomKeyPair, antomSettings, makeAntomMerchant, startFakeAntom, type AntomMerchant } from '../../helpers/antom.js';
import { cliEnvFor, runCli, type CliResult } from '../../helpers/cli.js';
import { createTestGateway, type TestGateway } from '../../helpers/gateway.js';
import crypto from 'node:crypto';

function refusal(settings: Record<string, string | undefined>, flag: string): void {
  assert.throws(
    () => ANTOM_MODULE.parseSettings(settings),
    (error: unknown) => error instanceof ProviderSettingsError && error.message.startsWith(`--${flag} `),
    `expected a refusal naming --${flag}`,
  );
}

function base64Of(pem: string): string {
  return pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
}

describe('Antom provider module', () => {
  let fake: FakeAntom;
  let merchant: AntomMerchant;

  before(async () => {
    merchant = makeAntomMerchant();
    fake = await startFakeAntom([merchant]);
  });

  after(() => fake.stop());

  test('is registered as antom, `alipay` on the command line, serving the alipay method', () => {
    assert.ok(PROVIDER_MODULES.includes(ANTOM_MODULE));
    assert.equal(findProviderModule('alipay'), ANTOM_MODULE);
    assert.equal(findProviderModule('antom'), ANTOM_MODULE);
    assert.deepEqual(ANTOM_MODULE.methods, ['alipay']);
    assert.equal(providerFactories().get('antom'), ANTOM_MODULE.create);
  });

  test('has exactly the documented options; keys come from files', () => {
    assert.deepEqual(
      ANTOM_MODULE.options.map((o) => `${o.required ? '' : '?'}${o.flag}${o.file ? ':file' : ''}`),
      ['client-id', 'private-key-file:file', 'alipay-public-key-file:file', '?key-version', '?merchant-region', '?base-url'],
    );
  });

  test('the private key is sealed; the rest is config; the adapter builds from them', () => {
    const { config, secrets } = ANTOM_MODULE.parseSettings(antomSettings(fake, merchant, { 'merchant-region': 'nz', 'key-version': '3' }));
    assert.deepEqual(Object.keys(secrets), ['private_key']);
    assert.equal(keyFingerprint(parsePrivateKey(secrets.private_key)), keyFingerprint(parsePublicKey(merchant.publicKeyPem)));
    assert.equal(config.client_id, merchant.clientId);
    assert.equal(config.key_version, '3');
    assert.equal(config.merchant_region, 'NZ');
    assert.equal(config.base_url, fake.baseUrl);
    assert.equal(keyFingerprint(parsePublicKey(String(config.antom_public_key))), keyFingerprint(parsePublicKey(fake.antomPublicKeyPem)));
    assert.ok(!JSON.stringify(config).includes('PRIVATE KEY'));
    const adapter = ANTOM_MODULE.create({ id: 'pa_1', walletId: 'W1', provider: 'antom', methods: ['alipay'], config, secrets, notifyUrl: 'http://127.0.0.1:1/n' });
    assert.ok(adapter instanceof AntomProvider);
    assert.equal(adapter.name, 'antom');
    assert.deepEqual(adapter.capabilities.methods, ['alipay']);
  });

  test("the Dashboard's base64 forms are accepted; defaults: key version 1, the Asia domain, no region", () => {
    const { config, secrets } = ANTOM_MODULE.parseSettings({
      'client-id': 'SANDBOX_5YEV2N2ZV8LC00920',
      'private-key-file': base64Of(merchant.privateKeyPem) + '\n',
      'alipay-public-key-file': base64Of(fake.antomPublicKeyPem),
    });
    assert.equal(config.key_version, '1');
    assert.equal(config.base_url, DEFAULT_BASE_URL);
    assert.equal(config.base_url, 'https://open-sea-global.alipay.com');
    assert.equal(config.merchant_region, undefined);
    assert.match(secrets.private_key, /^-----BEGIN PRIVATE KEY-----/);
  });

  test('describe: ids, key version, region, base URL and SHA-256 fingerprints, never a secret', () => {
    const { config, secrets } = ANTOM_MODULE.parseSettings(antomSettings(fake, merchant, { 'merchant-region': 'NZ' }));
    const shown = ANTOM_MODULE.describe(config, secrets);
    assert.deepEqual(Object.keys(shown), ['client_id', 'environment', 'key_version', 'merchant_region', 'base_url', 'private_key', 'alipay_public_key']);
    assert.equal(shown.client_id, merchant.clientId);
    assert.match(shown.environment, /^sandbox/);
    assert.equal(shown.merchant_region, 'NZ');
    assert.equal(shown.private_key, keyFingerprint(parsePublicKey(merchant.publicKeyPem)));
    assert.match(shown.alipay_public_key, /^sha256:[0-9a-f]{64}$/);
    const text = JSON.stringify(shown);
    const secretBody = base64Of(secrets.private_key);
    for (let i = 0; i + 24 <= secretBody.length; i += 24) assert.ok(!text.includes(secretBody.slice(i, i + 24)), 'no piece of the private key');
  });

  test('each mistake is refused naming its flag', () => {
    const ok = antomSettings(fake, merchant);
    refusal({ ...ok, 'client-id': undefined }, 'client-id');
    refusal({ ...ok, 'client-id': 'has space' }, 'client-id');
    refusal({ ...ok, 'private-key-file': undefined }, 'private-key-file');
    refusal({ ...ok, 'private-key-file': 'garbage' }, 'private-key-file');
    refusal({ ...ok, 'private-key-file': merchant.publicKeyPem }, 'private-key-file');
    const small = crypto.generateKeyPairSync('rsa', { modulusLength: 1024 });
    refusal({ ...ok, 'private-key-file': small.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, 'private-key-file');
    const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
    refusal({ ...ok, 'private-key-file': ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }, 'private-key-file');
    refusal({ ...ok, 'alipay-public-key-file': undefined }, 'alipay-public-key-file');
    refusal({ ...ok, 'alipay-public-key-file': merchant.privateKeyPem }, 'alipay-public-key-file');
    refusal({ ...ok, 'alipay-public-key-file': 'not base64!' }, 'alipay-public-key-file');
    refusal({ ...ok, 'alipay-public-key-file': merchant.publicKeyPem }, 'alipay-public-key-file');
    refusal({ ...ok, 'key-version': '0' }, 'key-version');
    refusal({ ...ok, 'key-version': 'v2' }, 'key-version');
    refusal({ ...ok, 'merchant-region': 'NZL' }, 'merchant-region');
    refusal({ ...ok, 'base-url': 'http://open-sea-global.alipay.com' }, 'base-url');
    refusal({ ...ok, 'base-url': 'https://open-sea-global.alipay.com/ams' }, 'base-url');
    refusal({ ...ok, 'base-url': 'nonsense' }, 'base-url');
  });
});

describe('latipay provider set/show/remove … alipay', () => {
  let gw: TestGateway;
  let fake: FakeAntom;
  let merchant: AntomMerchant;
  let dir: string;
  let files: { privateKey: string; antomKey: string; publicAsPrivate: string };

  before(async () => {
    gw = await createTestGateway();
    merchant = makeAntomMerchant();
    fake = await startFakeAntom([merchant]);
    dir = mkdtempSync(join(tmpdir(), 'latipay-antom-'));
    files = { privateKey: join(dir, 'private.pem'), antomKey: join(dir, 'antom.txt'), publicAsPrivate: join(dir, 'public.pem') };
    writeFileSync(files.privateKey, merchant.privateKeyPem, { mode: 0o600 });
    // The Dashboard shows Antom's key as bare base64.
    writeFileSync(files.antomKey, `${fake.antomPublicKeyBase64}\n`);
    writeFileSync(files.publicAsPrivate, merchant.publicKeyPem);
  });

  after(async () => {
    await fake.stop();
    await gw.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function cli(args: string[]): Promise<CliResult> {
    return runCli(['provider', ...args], cliEnvFor(gw, { PUBLIC_URL: 'http://gateway.test' }));
  }

  function assertRefused(result: CliResult, pattern: RegExp): void {
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], pattern);
  }

  test('set, show (no secret), remove', async () => {
    const walletId = gw.merchant.wallet_id;
    const set = await cli(['set', walletId, 'alipay', '--client-id', merchant.clientId, '--private-key-file', files.privateKey, '--alipay-public-key-file', files.antomKey, '--merchant-region', 'NZ', '--base-url', fake.baseUrl, '--json']);
    assert.equal(set.code, 0, set.stderr);
    const view = JSON.parse(set.stdout) as { provider: string; methods: string[]; notify_url: string; settings: Record<string, string>; account_id: string };
    assert.equal(view.provider, 'antom');
    assert.deepEqual(view.methods, ['alipay']);
    assert.equal(view.notify_url, `http://gateway.test/channels/antom/notify/${view.account_id}`);
    assert.equal(view.settings.private_key, keyFingerprint(parsePublicKey(merchant.publicKeyPem)));

    const shown = await cli(['show', walletId]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /serves alipay/);
    assert.match(shown.stdout, new RegExp(`client_id: ${merchant.clientId}`));
    assert.match(shown.stdout, /merchant_region: NZ/);
    assert.match(shown.stdout, /notify_url: http:\/\/gateway\.test\/channels\/antom\/notify\/pa_/);
    const secretBody = base64Of(merchant.privateKeyPem);
    assert.ok(!shown.stdout.includes('PRIVATE'));
    for (let i = 0; i + 24 <= secretBody.length; i += 24) assert.ok(!shown.stdout.includes(secretBody.slice(i, i + 24)), 'no piece of the private key');

    // The running gateway routes the wallet's Alipay to the account.
    gw.app.gateway.providers.forgetWallet(walletId);
    const route = await gw.app.gateway.providers.route({ id: walletId, test: 0 }, 'alipay');
    assert.equal(route?.provider.name, 'antom');

    const removed = await cli(['remove', walletId, 'alipay']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stdout, /antom removed/);
    assert.match((await cli(['show', walletId])).stdout, /has no provider account/);
  });

  test('refusals: one line each, exit 1', async () => {
    const walletId = gw.merchant.wallet_id;
    const required = ['--client-id', merchant.clientId, '--private-key-file', files.privateKey, '--alipay-public-key-file', files.antomKey];
    assertRefused(await cli(['set', walletId, 'alipay', '--private-key-file', files.privateKey, '--alipay-public-key-file', files.antomKey]), /--client-id is required/);
    assertRefused(await cli(['set', walletId, 'alipay', ...required.slice(0, 2), '--private-key-file', files.publicAsPrivate, '--alipay-public-key-file', files.antomKey]), /--private-key-file /);
    assertRefused(await cli(['set', walletId, 'alipay', ...required.slice(0, 4), '--alipay-public-key-file', join(dir, 'missing.pem')]), /--alipay-public-key-file cannot read/);
    assertRefused(await cli(['set', walletId, 'alipay', ...required, '--key-version', 'two']), /--key-version /);
    assertRefused(await cli(['set', walletId, 'alipay', ...required, '--base-url', 'http://example.com']), /--base-url /);
    assertRefused(await cli(['set', 'W999999999', 'alipay', ...required]), /no wallet W999999999/);
    assertRefused(await cli(['set', walletId, 'alipayy', ...required]), /unknown provider/);
  });
});

// The key pairs the helpers generate are reused: make sure two indexes differ (the wrong-key tests rely on it).
test('helper key pairs are distinct', () => {
  assert.notEqual(keyFingerprint(antomKeyPair(0).publicKey), keyFingerprint(antomKeyPair(1).publicKey));
});
