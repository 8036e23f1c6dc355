import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FakeWechatPay } from '../fakes/wechatpay/fake-wechatpay.js';
import { cliEnvFor, runCli, type CliResult } from '../helpers/cli.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { makeWechatMerchant, type WechatMerchant } from '../helpers/wechatpay.js';
import { createOrder } from '../http/support.js';

/**
 * `latipay provider set|show|remove` with WeChat Pay, against the database of a gateway
 * running in process (with the real provider modules), the account pointed at the fake.
 */
describe('latipay provider (CLI) with WeChat Pay', () => {
  let gw: TestGateway;
  let fake: FakeWechatPay;
  let merchant: WechatMerchant;
  let dir: string;
  let cli: (...args: string[]) => Promise<CliResult>;
  const file = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  let flags: Record<string, string>;

  before(async () => {
    merchant = makeWechatMerchant();
    fake = await FakeWechatPay.start({ merchants: [merchant.fake] });
    gw = await createTestGateway();
    dir = mkdtempSync(join(tmpdir(), 'latipay-wechat-'));
    cli = (...args) => runCli(['provider', ...args], cliEnvFor(gw, { PUBLIC_URL: gw.config.publicUrl }));
    flags = {
      '--mchid': merchant.mchid,
      '--appid': merchant.appid,
      '--serial': merchant.serial,
      '--private-key-file': file('apiclient_key.pem', merchant.privateKeyPem),
      '--apiv3-key-file': file('apiv3.key', `${merchant.apiV3Key}\n`),
      '--wechatpay-public-key-file': file('pub_key.pem', fake.wechatpayPublicKeyPem),
      '--wechatpay-public-key-id': fake.wechatpayPublicKeyId,
      '--merchant-category-code': '5812',
      '--base-url': fake.baseUrl,
    };
  });

  after(async () => {
    await gw.close();
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const args = (overrides: Record<string, string | undefined> = {}) =>
    Object.entries({ ...flags, ...overrides }).flatMap(([flag, value]) => (value === undefined ? [] : [flag, value]));
  const secretsIn = (text: string) =>
    [merchant.apiV3Key, ...merchant.privateKeyPem.split('\n').slice(1, 4)].filter((secret) => text.includes(secret));

  test('set configures the wallet; the running gateway then opens WeChat Pay orders with the fake', async () => {
    const set = await cli('set', gw.merchant.wallet_id, 'wechat', ...args());
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, new RegExp(`^${gw.merchant.wallet_id}: wechatpay \\(account pa_[0-9a-f]{16}\\) serves wechat$`, 'm'));
    assert.match(set.stdout, /^ {2}notify_url: http:\/\/gateway\.test\/channels\/wechatpay\/notify\/pa_[0-9a-f]{16}$/m);
    assert.match(set.stdout, /^ {2}private_key: sha256:[0-9a-f]{64}$/m);
    assert.match(set.stdout, /^ {2}apiv3_key: set \(sha256:[0-9a-f]{16}\)$/m);
    assert.deepEqual(secretsIn(set.stdout + set.stderr), []);

    gw.app.gateway.providers.forgetWallet(gw.merchant.wallet_id);
    const { nonce, orderId } = await createOrder(gw, { payment_method: 'wechat' });
    const page = await gw.app.inject({ method: 'GET', url: `/pay/${nonce}`, headers: { accept: 'text/html' } });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /data-qr-url="weixin:\/\/wxpay\/bizpayurl\?pr=/);
    assert.equal(fake.order(`${orderId}01`)?.tradeType, 'NATIVE');
    assert.match(String(fake.order(`${orderId}01`)?.notifyUrl), /^http:\/\/gateway\.test\/channels\/wechatpay\/notify\/pa_/);
  });

  test('show prints ids, serials, the base URL and fingerprints, never a secret; --json too', async () => {
    const shown = await cli('show', gw.merchant.wallet_id);
    assert.equal(shown.code, 0, shown.stderr);
    for (const line of [`mchid: ${merchant.mchid}`, `merchant_certificate_serial: ${merchant.serial}`, `wechatpay_public_key_id: ${fake.wechatpayPublicKeyId}`, `base_url: ${fake.baseUrl}`]) {
      assert.ok(shown.stdout.includes(line), line);
    }
    assert.match(shown.stdout, /wechatpay_public_key: sha256:[0-9a-f]{64}/);
    assert.deepEqual(secretsIn(shown.stdout + shown.stderr), []);
    const json = await cli('show', gw.merchant.wallet_id, '--json');
    const [view] = JSON.parse(json.stdout) as Array<{ provider: string; methods: string[]; settings: Record<string, string> }>;
    assert.equal(view.provider, 'wechatpay');
    assert.deepEqual(view.methods, ['wechat']);
    assert.equal(view.settings.mode, 'common');
    assert.deepEqual(secretsIn(json.stdout), []);
  });

  test('set again replaces the account in place (same id, same notify URL)', async () => {
    const before = JSON.parse((await cli('show', gw.merchant.wallet_id, '--json')).stdout) as Array<{ account_id: string }>;
    const again = await cli('set', gw.merchant.wallet_id, 'wechatpay', ...args({ '--merchant-category-code': '5999' }), '--json');
    assert.equal(again.code, 0, again.stderr);
    const view = JSON.parse(again.stdout) as { account_id: string; settings: Record<string, string> };
    assert.equal(view.account_id, before[0].account_id);
    assert.equal(view.settings.merchant_category_code, '5999');
  });

  test('refusals are one line on stderr, exit 1, and nothing is changed', async () => {
    const before = (await cli('show', gw.merchant.wallet_id, '--json')).stdout;
    const cases: Array<[string, string[], RegExp]> = [
      ['a missing flag', args({ '--apiv3-key-file': undefined }), /--apiv3-key-file is required for wechat/],
      ['an unreadable file', args({ '--private-key-file': join(dir, 'missing.pem') }), /--private-key-file cannot read .*ENOENT/],
      ['a bad key', args({ '--private-key-file': file('bad.pem', 'not a key\n') }), /--private-key-file must be a PEM private key/],
      ['a short APIv3 key', args({ '--apiv3-key-file': file('short.key', 'abc\n') }), /--apiv3-key-file must hold the 32-character APIv3 key/],
      ['a swapped public key', args({ '--wechatpay-public-key-file': flags['--private-key-file'] }), /--wechatpay-public-key-file holds a private key/],
      ['an institutional flag alone', args({ '--sub-mchid': '20000100' }), /--sub-mchid is for institutional mode/],
    ];
    for (const [what, argv, message] of cases) {
      const result = await cli('set', gw.merchant.wallet_id, 'wechat', ...argv);
      assert.equal(result.code, 1, what);
      assert.match(result.stderr, message, what);
      assert.equal(result.stderr.trim().split('\n').length, 1, `${what}: one line`);
      assert.deepEqual(secretsIn(result.stderr), [], what);
    }
    const unknown = await cli('set', gw.merchant.wallet_id, 'paypal', ...args());
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^latipay: unknown provider "paypal"; this gateway has: wechat, alipay\n$/);
    assert.equal((await cli('show', gw.merchant.wallet_id, '--json')).stdout, before, 'nothing changed');
  });

  test('remove takes the account away; the wallet has none left; removing again is refused', async () => {
    const removed = await cli('remove', gw.merchant.wallet_id, 'wechat');
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout, `${gw.merchant.wallet_id}: wechatpay removed\n`);
    const shown = await cli('show', gw.merchant.wallet_id);
    assert.equal(shown.stdout, `${gw.merchant.wallet_id} has no provider account (the sandbox serves it where allowed)\n`);
    const again = await cli('remove', gw.merchant.wallet_id, 'wechat');
    assert.equal(again.code, 1);
    assert.equal(again.stderr.trim().split('\n').length, 1);
  });
});
