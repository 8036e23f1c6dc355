import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hmacHex, signParams, signResult } from '../../src/domain/signature.js';
import { cliEnvFor, runCli, type CliResult } from '../helpers/cli.js';
import { createTestGateway, signed, transactionFields, type TestGateway } from '../helpers/gateway.js';
import { answerOf, createOrder, postTransaction, settleOrder } from '../http/support.js';

/**
 * `latipay merchant …` against the database of a gateway that is running (in process):
 * what the commands print, and what the gateway does afterwards.
 */
describe('latipay merchant (CLI)', () => {
  let gw: TestGateway;
  // The gateway's clock runs ahead by this much when a test needs a grace period to be over.
  let ahead = 0;
  let cli: (...args: string[]) => Promise<CliResult>;
  before(async () => {
    gw = await createTestGateway({ clock: () => Date.now() + ahead });
    cli = (...args) => runCli(['merchant', ...args], cliEnvFor(gw));
  });
  after(async () => {
    await gw.close();
  });

  /** Forgets the gateway's cached copy of a user (it would see the change within 5 s anyway). */
  const refresh = (userId: string) => gw.app.gateway.credentials.forget(userId);

  async function createWith(key: string, userId = gw.merchant.user_id, overrides: Record<string, string> = {}) {
    const fields = transactionFields({ ...gw.merchant, user_id: userId }, overrides);
    return answerOf(await postTransaction(gw, signed(fields, key)));
  }

  test('create --test makes a test wallet and prints the key once; list and show never print a key', async () => {
    const created = await cli('create', '--name', 'Kiosk Test', '--currency', 'aud', '--methods', 'wechat', '--test', '--json');
    assert.equal(created.code, 0, created.stderr);
    const merchant = JSON.parse(created.stdout) as { user_id: string; wallet_id: string; api_key: string; test: boolean };
    assert.equal(merchant.test, true);
    assert.match(merchant.api_key, /^[0-9a-f]{32}$/);

    const listed = await cli('list', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok(!listed.stdout.includes(merchant.api_key), 'list shows no key');
    const entry = (JSON.parse(listed.stdout) as Array<{ user_id: string; status: string; wallets: Array<{ wallet_id: string; currency: string; test: boolean; methods: string[] }> }>).find(
      (m) => m.user_id === merchant.user_id,
    );
    assert.ok(entry);
    assert.equal(entry.status, 'active');
    assert.deepEqual(entry.wallets.map((w) => [w.wallet_id, w.currency, w.test, w.methods]), [[merchant.wallet_id, 'AUD', true, ['wechat']]]);

    const shown = await cli('show', merchant.user_id);
    assert.equal(shown.code, 0, shown.stderr);
    assert.ok(!shown.stdout.includes(merchant.api_key), 'show shows no key');
    assert.match(shown.stdout, /\(test\)/);
  });

  test('show lists the signature forms the merchant used', async () => {
    const merchant = await gw.addMerchant({ name: 'Forms Shop' });
    const fields = transactionFields(merchant);
    const legacy = hmacHex(merchant.api_key, [fields.user_id, fields.wallet_id, fields.amount, fields.payment_method, fields.return_url, fields.callback_url].join(''));
    assert.equal(answerOf(await postTransaction(gw, { ...fields, signature: legacy })).code, 0);
    assert.equal(answerOf(await postTransaction(gw, signed(transactionFields(merchant), merchant.api_key))).code, 0);
    assert.equal(answerOf(await postTransaction(gw, signed(transactionFields(merchant), merchant.api_key))).code, 0);
    await gw.app.gateway.signatureUsage.flush();

    const shown = await cli('show', merchant.user_id, '--json');
    assert.equal(shown.code, 0, shown.stderr);
    const forms = (JSON.parse(shown.stdout) as { signature_forms: Array<{ form: string; count: number }> }).signature_forms;
    assert.deepEqual(forms.map((f) => [f.form, f.count]), [['sorted', 2], ['legacy-create', 1]]);
  });

  test('disable makes requests answer 205; enable lets them through again', async () => {
    const merchant = await gw.addMerchant({ name: 'Disabled Shop' });
    assert.equal((await cli('disable', merchant.user_id)).code, 0);
    refresh(merchant.user_id);
    assert.equal(answerOf(await postTransaction(gw, signed(transactionFields(merchant), merchant.api_key))).code, 205);
    const shown = JSON.parse((await cli('show', merchant.user_id, '--json')).stdout) as { status: string };
    assert.equal(shown.status, 'disabled');

    assert.equal((await cli('enable', merchant.user_id)).code, 0);
    refresh(merchant.user_id);
    assert.equal(answerOf(await postTransaction(gw, signed(transactionFields(merchant), merchant.api_key))).code, 0);
  });

  test('rotate-key: both keys verify during the grace period, each answer signed with the key that verified it, callbacks with the old one; then only the new', async () => {
    const merchant = await gw.addMerchant({ name: 'Rotating Shop' });
    const oldKey = merchant.api_key;
    const { orderId } = await createOrder(gw, {}, merchant);
    const rotated = await cli('rotate-key', merchant.user_id, '--grace-seconds', '600', '--json');
    assert.equal(rotated.code, 0, rotated.stderr);
    const answer = JSON.parse(rotated.stdout) as { user_id: string; api_key: string; old_key_valid_until: string };
    const newKey = answer.api_key;
    assert.equal(answer.user_id, merchant.user_id);
    assert.notEqual(newKey, oldKey);
    assert.ok(Date.parse(answer.old_key_valid_until) > Date.now() + 590_000);
    refresh(merchant.user_id);

    for (const key of [oldKey, newKey]) {
      const created = answerOf(await postTransaction(gw, signed(transactionFields(merchant), key)));
      assert.equal(created.code, 0, `signed with the ${key === oldKey ? 'old' : 'new'} key`);
      assert.equal(created.signature, hmacHex(key, String(created.nonce) + String(created.host_url)), 'answer signed with the key that verified');
    }
    // The merchant's callback handler still has the old key: the callback is signed with it.
    assert.equal((await settleOrder(gw, orderId, 'paid')).json().code, 0);
    const body = new URLSearchParams(
      (await gw.store.db.selectFrom('notifications').select('body').where('order_id', '=', orderId).executeTakeFirstOrThrow()).body,
    );
    const fields = { merchant_reference: body.get('merchant_reference')!, payment_method: body.get('payment_method')!, status: 'paid', currency: body.get('currency')!, amount: body.get('amount')! };
    assert.equal(body.get('signature'), signResult(oldKey, fields));

    // The grace period is over: the old key is refused, the new one works.
    ahead = 601_000;
    try {
      assert.equal((await createWith(oldKey, merchant.user_id, { merchant_reference: 'after-grace-old' })).code, 206);
      assert.equal(answerOf(await postTransaction(gw, signed(transactionFields(merchant), newKey))).code, 0);
    } finally {
      ahead = 0;
    }
  });

  test('rotate-key --grace-seconds 0 ends the old key at once (a lost or leaked key)', async () => {
    const merchant = await gw.addMerchant({ name: 'Leaky Shop' });
    const rotated = JSON.parse((await cli('rotate-key', merchant.user_id, '--grace-seconds', '0', '--json')).stdout) as { api_key: string; old_key_valid_until: null };
    assert.equal(rotated.old_key_valid_until, null);
    refresh(merchant.user_id);
    assert.equal(answerOf(await postTransaction(gw, signed(transactionFields(merchant), merchant.api_key))).code, 206);
    assert.equal(answerOf(await postTransaction(gw, signed(transactionFields(merchant), rotated.api_key))).code, 0);
  });

  test('set --legacy-signatures off refuses the concatenated forms and keeps the sorted ones', async () => {
    const merchant = await gw.addMerchant({ name: 'Modern Shop' });
    const legacySigned = () => {
      const fields = transactionFields(merchant);
      return { ...fields, signature: hmacHex(merchant.api_key, [fields.user_id, fields.wallet_id, fields.amount, fields.payment_method, fields.return_url, fields.callback_url].join('')) };
    };
    assert.equal(answerOf(await postTransaction(gw, legacySigned())).code, 0, 'on by default');
    assert.equal((await cli('set', merchant.user_id, '--legacy-signatures', 'off')).code, 0);
    refresh(merchant.user_id);
    assert.equal(answerOf(await postTransaction(gw, legacySigned())).code, 206);
    assert.equal(answerOf(await postTransaction(gw, signed(transactionFields(merchant), merchant.api_key))).code, 0);
    // The legacy query form too.
    const { reference } = await createOrder(gw, {}, merchant);
    const legacyQuery = await gw.app.inject({
      method: 'GET',
      url: `/v2/transaction/${reference}?user_id=${merchant.user_id}&signature=${hmacHex(merchant.api_key, reference + merchant.user_id)}`,
    });
    assert.equal(legacyQuery.json().code, 206);
    const sortedQuery = signParams([['merchant_reference', reference], ['user_id', merchant.user_id]], merchant.api_key);
    assert.equal((await gw.app.inject({ method: 'GET', url: `/v2/transaction/${reference}?user_id=${merchant.user_id}&signature=${sortedQuery}` })).json().code, 0);
    const shown = JSON.parse((await cli('show', merchant.user_id, '--json')).stdout) as { legacy_signatures: string };
    assert.equal(shown.legacy_signatures, 'off');
  });

  test('refusals: an unknown user, a bad value, a bad command line; each one line, no stack trace', async () => {
    for (const [args, code] of [
      [['disable', 'U999999999'], 1],
      [['rotate-key', 'U999999999'], 1],
      [['rotate-key', gw.merchant.user_id, '--grace-seconds', 'soon'], 1],
      [['set', gw.merchant.user_id, '--legacy-signatures', 'maybe'], 1],
      [['create', '--currency', 'NZD'], 2],
      [['create', '--name', 'X', '--currency', 'NZDX'], 1],
      [['frobnicate'], 2],
    ] as const) {
      const result = await cli(...args);
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^latipay: /, args.join(' '));
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('every merchant command has --help', async () => {
    for (const command of ['create', 'list', 'show', 'disable', 'enable', 'rotate-key', 'set']) {
      const help = await cli(command, '--help');
      assert.equal(help.code, 0, command);
      assert.match(help.stdout, new RegExp(`^Usage: latipay merchant ${command}`), command);
    }
  });

  test('the audit log records the operator actions, by whom and from where, without a key', async () => {
    const merchant = await gw.addMerchant({ name: 'Audited Shop' });
    await cli('disable', merchant.user_id);
    await cli('enable', merchant.user_id);
    const rotated = JSON.parse((await cli('rotate-key', merchant.user_id, '--json')).stdout) as { api_key: string };
    const listed = await runCli(['audit', 'list', '--target', merchant.user_id, '--json'], cliEnvFor(gw));
    assert.equal(listed.code, 0, listed.stderr);
    const events = JSON.parse(listed.stdout) as Array<{ action: string; actor: string; source: string }>;
    assert.deepEqual(events.map((e) => e.action), ['merchant.disable', 'merchant.enable', 'merchant.rotate_key']);
    for (const e of events) {
      assert.match(e.actor, /^cli:.+@.+/);
      assert.equal(e.source, 'cli');
    }
    assert.ok(!listed.stdout.includes(rotated.api_key) && !listed.stdout.includes(merchant.api_key), 'no key in the audit log');
  });
});
