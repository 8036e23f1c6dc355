import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explainSignature, findSignedEndpoint, readPastedRequest, type SignatureExplanation, type SignedEndpoint } from '../../src/domain/signature-helper.js';
import { hmacHex } from '../../src/domain/signature.js';

const KEY = '111222333';
const endpoint = (id: string) => findSignedEndpoint(id) as SignedEndpoint;
const explained = (id: string, pasted: string) => {
  const answer = explainSignature(endpoint(id), pasted);
  assert.ok(!('problem' in answer), JSON.stringify(answer));
  return answer as SignatureExplanation;
};
/** What a merchant signs once it puts its key where the helper shows `<api_key>`. */
const signWith = (message: string, key: string) => hmacHex(key, message.replace('<api_key>', key));

// docs/wire-contract.md §2.4, first row: the fields of the create, the key 111222333.
const CREATE = {
  user_id: 'U000334333',
  wallet_id: 'W00000001',
  amount: '120.00',
  payment_method: 'alipay',
  return_url: 'https://merchantsite.com/checkout',
  callback_url: 'https://merchantsite.com/confirm',
  merchant_reference: 'dsi39ej430sks03',
  ip: '122.122.122.1',
  version: '2.0',
  product_name: 'Pinot Noir, Otago',
  signature: 'whatever was sent',
};

describe('the signature helper shows the string to sign, the key as <api_key>', () => {
  test('a JSON create gives the spec vector once the key is put in', () => {
    const e = explained('transaction.create', JSON.stringify(CREATE));
    assert.equal(
      e.stringToSign,
      'amount=120.00&callback_url=https://merchantsite.com/confirm&ip=122.122.122.1&merchant_reference=dsi39ej430sks03&payment_method=alipay&product_name=Pinot Noir, Otago&return_url=https://merchantsite.com/checkout&user_id=U000334333&version=2.0&wallet_id=W00000001<api_key>',
    );
    assert.equal(signWith(e.stringToSign, KEY), '8d1bea078eaacdae8388852851ec39e2e8561cdce64f359421d85ed4844496ec');
    assert.deepEqual(e.signedNames, ['amount', 'callback_url', 'ip', 'merchant_reference', 'payment_method', 'product_name', 'return_url', 'user_id', 'version', 'wallet_id']);
    assert.equal(e.fields.find((f) => f.name === 'signature')?.left, 'signature');
    assert.deepEqual(e.missing, []);
    assert.equal(e.hasSignature, true);
    // The legacy concatenation of §2.2.4, HMAC of the message itself.
    const legacy = e.variants.find((v) => v.form === 'legacy-create');
    assert.equal(legacy?.message, 'U000334333W00000001120.00alipayhttps://merchantsite.com/checkouthttps://merchantsite.com/confirm');
  });

  test('a form body gives the same string; empty fields are left out and named', () => {
    const form = new URLSearchParams({ ...CREATE, return_url: '' }).toString();
    const e = explained('transaction.create', form);
    assert.equal(e.fields.find((f) => f.name === 'return_url')?.left, 'empty');
    assert.ok(!e.signedNames.includes('return_url'));
    assert.equal(signWith(e.stringToSign, KEY), 'a6b2ead2612b3ad51fd33688d4335d55ad426941fcf160745d3a49354224de22');
    // Keeping the empty value is another accepted form, and it differs.
    assert.ok(e.variants.some((v) => v.form === 'sorted-keep-empty' && v.message.includes('return_url=&')));
  });

  test("a query's URL: the path's merchant_reference is signed with the query (spec vector)", () => {
    const e = explained('transaction.query', 'GET https://pay.example/v2/transaction/6000324?user_id=U000000013&signature=abc');
    assert.equal(e.stringToSign, 'merchant_reference=6000324&user_id=U000000013<api_key>');
    assert.equal(e.fields[0]?.fromPath, true);
    assert.equal(signWith(e.stringToSign, KEY), '58f93f458880120d650611f2452917a25a39edc2f5e3a03baac73a7a49bc81f4');
    assert.equal(e.variants.find((v) => v.form === 'legacy-query')?.message, '6000324U000000013');
    // The order received (the path's field first) is the same here as sorted: not listed twice.
    assert.ok(!e.variants.some((v) => v.form === 'received-order'));
  });

  test('an invoice create (spec vector); JSON numbers are signed as JavaScript writes them', () => {
    const e = explained(
      'invoice.create',
      JSON.stringify({ user_id: 'U000000013', wallet_id: 'W000000023', amount: 1, product_name: 'ticket', notify_url: 'https://yourwebsite.com/latipay/notify' }),
    );
    assert.equal(signWith(e.stringToSign, KEY), '9361c9e5ac5fc269296cc946377b3b4dea03685aa623482981a82101047672d9');
    assert.equal(e.hasSignature, false);
  });

  test('required fields that are missing are named', () => {
    const e = explained('refund', 'user_id=U1&order_id=&signature=x');
    assert.deepEqual(e.missing, ['order_id', 'refund_amount']);
  });

  test('what cannot be read is said, not thrown', () => {
    assert.deepEqual(explainSignature(endpoint('refund'), '   '), { problem: 'empty' });
    assert.deepEqual(explainSignature(endpoint('refund'), '{"user_id": '), { problem: 'bad_json' });
    assert.deepEqual(explainSignature(endpoint('refund'), '{"user_id": {"a": 1}}'), { problem: 'not_flat', field: 'user_id' });
    assert.deepEqual(readPastedRequest('a=1&a=2'), { problem: 'not_flat', field: 'a' });
  });
});
