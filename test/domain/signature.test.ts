import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  hmacHex,
  joinParams,
  signParams,
  signObject,
  signResult,
  signaturesEqual,
  verifyRequestSignature,
  type Params,
  type ParamValue,
} from '../../src/domain/signature.js';

const KEY = '111222333';

// Spec §2.4, copied verbatim: each message already carries the appended api key where the sorted form applies.
const VECTORS: ReadonlyArray<{ name: string; key: string; message: string; hex: string }> = [
  {
    name: 'create transaction, full',
    key: KEY,
    message:
      'amount=120.00&callback_url=https://merchantsite.com/confirm&ip=122.122.122.1&merchant_reference=dsi39ej430sks03&payment_method=alipay&product_name=Pinot Noir, Otago&return_url=https://merchantsite.com/checkout&user_id=U000334333&version=2.0&wallet_id=W00000001111222333',
    hex: '8d1bea078eaacdae8388852851ec39e2e8561cdce64f359421d85ed4844496ec',
  },
  {
    name: 'create transaction, host_type=1 without return_url',
    key: KEY,
    message:
      'amount=120.00&callback_url=https://merchantsite.com/confirm&host_type=1&ip=122.122.122.1&merchant_reference=dsi39ej430sks03&payment_method=alipay&product_name=Pinot Noir, Otago&user_id=U000334333&version=2.0&wallet_id=W00000001111222333',
    hex: '14b8268bd86e1815c192debb1d13a16ab1fe008f49e57eea5d64aaf111a8ed67',
  },
  {
    name: 'create transaction, without return_url and host_type',
    key: KEY,
    message:
      'amount=120.00&callback_url=https://merchantsite.com/confirm&ip=122.122.122.1&merchant_reference=dsi39ej430sks03&payment_method=alipay&product_name=Pinot Noir, Otago&user_id=U000334333&version=2.0&wallet_id=W00000001111222333',
    hex: 'a6b2ead2612b3ad51fd33688d4335d55ad426941fcf160745d3a49354224de22',
  },
  {
    name: 'mini Alipay, without payment_method and return_url',
    key: KEY,
    message:
      'amount=120.00&callback_url=https://merchantsite.com/confirm&ip=122.122.122.1&merchant_reference=dsi39ej430sks03&product_name=Pinot Noir, Otago&user_id=U000334333&version=2.0&wallet_id=W00000001111222333',
    hex: '1f8e75dd34fc5ca7b478772efdb6fa9e1a5c89e8e0412ccde81912fc16e2ed07',
  },
  { name: 'result signature', key: KEY, message: 'dsi39ej430sks03alipaypaidNZD120.00', hex: '840151e0dc39496e22b410b83058b4ddd633b786936c505ae978fae029a1e0f1' },
  { name: 'result signature, numeric reference', key: KEY, message: '6000324alipaypaidNZD120.00', hex: '3149d48405bf8782b8b4ae816a91744c5eb6d4a0293f8bb9bc8f0d9f29fdfb40' },
  {
    name: 'query, sorted',
    key: KEY,
    message: 'merchant_reference=6000324&user_id=U000000013111222333',
    hex: '58f93f458880120d650611f2452917a25a39edc2f5e3a03baac73a7a49bc81f4',
  },
  {
    name: 'refund',
    key: KEY,
    message: 'order_id=23479798sdf7987234&reference=notes about this refund&refund_amount=120.00&user_id=U000334333111222333',
    hex: '3052b51072570b743bf9a12a20a45b0adf280aee84907ef0e54d1079fb3f961c',
  },
  {
    name: 'cancel, received order',
    key: KEY,
    message: 'user_id=U000000013&merchant_reference=9872428736782682111222333',
    hex: 'da3b80be09665913e632f1bc0822e3d98d8dd235aebeb6f532b6bb7e329b9635',
  },
  {
    name: 'barcode',
    key: KEY,
    message: 'amount=0.05&pay_code=134588558514585062&user_id=U00001534&wallet_id=W00000001111222333',
    hex: 'e66d54f711bc6a1dde59838c8b0de73ccc8b025a2ae65ae878216f010a05f599',
  },
  {
    name: 'invoice',
    key: KEY,
    message: 'amount=1&notify_url=https://yourwebsite.com/latipay/notify&product_name=ticket&user_id=U000000013&wallet_id=W000000023111222333',
    hex: '9361c9e5ac5fc269296cc946377b3b4dea03685aa623482981a82101047672d9',
  },
  {
    name: 'legacy create concatenation',
    key: KEY,
    message: 'U000000001W000000010.01alipayhttp://merchant.com/returnhttp://merchant.com/callback',
    hex: 'a2367bcd9e9a2f9a547c85d7545d1217702a574b8084bbb7ae33b45a03a89983',
  },
  {
    name: 'legacy oldest create concatenation',
    key: KEY,
    message: 'U000000001W000000010.01alipayhttp://merchant.com/callback',
    hex: 'cf3cf508b7b245be8921e324d5cb588598c36a07ffc62f998b90ab0e355f2d78',
  },
  { name: 'key 7EE1', key: '7EE1', message: '22TESTalipaypendingAUD0.01', hex: '22c98f90eefbd40b84aad11321a4881280b5a5ac886a6132b9990c6710212f78' },
];

const hexOf = (name: string) => VECTORS.find((v) => v.name === name)!.hex;

/** The first §2.4 row as a client would send it: JSON key order, deliberately not sorted. */
const CREATE_PARAMS: Params = [
  ['user_id', 'U000334333'],
  ['wallet_id', 'W00000001'],
  ['amount', '120.00'],
  ['payment_method', 'alipay'],
  ['return_url', 'https://merchantsite.com/checkout'],
  ['callback_url', 'https://merchantsite.com/confirm'],
  ['merchant_reference', 'dsi39ej430sks03'],
  ['ip', '122.122.122.1'],
  ['version', '2.0'],
  ['product_name', 'Pinot Noir, Otago'],
];

const without = (params: Params, ...keys: string[]): Params => params.filter(([k]) => !keys.includes(k));

/** Flips one hex digit to a different digit (case-insensitively different). */
function flipHexChar(hex: string, index: number): string {
  const c = hex[index].toLowerCase();
  const replacement = c === '0' ? '1' : '0';
  return hex.slice(0, index) + replacement + hex.slice(index + 1);
}

describe('§2.4 test vectors', () => {
  for (const v of VECTORS) {
    test(`hmacHex matches the listed hex: ${v.name}`, () => {
      assert.equal(hmacHex(v.key, v.message), v.hex);
    });
  }

  test('signParams rebuilds the full create-transaction vector from unsorted parameters', () => {
    assert.equal(signParams(CREATE_PARAMS, KEY), hexOf('create transaction, full'));
  });

  test('joinParams sorts the create-transaction parameters into the vector message', () => {
    const row = VECTORS.find((v) => v.name === 'create transaction, full')!;
    assert.equal(joinParams(CREATE_PARAMS) + KEY, row.message);
  });

  test('signParams rebuilds the host_type=1 vector, with host_type sent as the number 1', () => {
    const params: Params = [...without(CREATE_PARAMS, 'return_url'), ['host_type', 1]];
    assert.equal(signParams(params, KEY), hexOf('create transaction, host_type=1 without return_url'));
  });

  test('signParams rebuilds the vector without return_url and host_type', () => {
    assert.equal(signParams(without(CREATE_PARAMS, 'return_url'), KEY), hexOf('create transaction, without return_url and host_type'));
  });

  test('signParams rebuilds the mini-Alipay vector when payment_method and return_url are absent or empty', () => {
    assert.equal(signParams(without(CREATE_PARAMS, 'payment_method', 'return_url'), KEY), hexOf('mini Alipay, without payment_method and return_url'));
    const emptied: Params = CREATE_PARAMS.map(([k, v]) => [k, k === 'payment_method' ? '' : k === 'return_url' ? null : v]);
    assert.equal(signParams(emptied, KEY), hexOf('mini Alipay, without payment_method and return_url'));
  });

  test('signParams rebuilds the query vector from user_id, merchant_reference in reverse order', () => {
    const params: Params = [
      ['user_id', 'U000000013'],
      ['merchant_reference', '6000324'],
    ];
    assert.equal(signParams(params, KEY), hexOf('query, sorted'));
  });

  test('signParams rebuilds the refund vector from unsorted parameters', () => {
    const params: Params = [
      ['user_id', 'U000334333'],
      ['refund_amount', '120.00'],
      ['reference', 'notes about this refund'],
      ['order_id', '23479798sdf7987234'],
    ];
    assert.equal(signParams(params, KEY), hexOf('refund'));
  });

  test('joinParams in received order rebuilds the cancel vector, and sorting would not', () => {
    const params: Params = [
      ['user_id', 'U000000013'],
      ['merchant_reference', '9872428736782682'],
    ];
    assert.equal(signParams(params, KEY, { sorted: false }), hexOf('cancel, received order'));
    assert.notEqual(signParams(params, KEY), hexOf('cancel, received order'));
  });

  test('signParams rebuilds the barcode vector with amount sent as the JSON number 0.05', () => {
    const params: Params = [
      ['wallet_id', 'W00000001'],
      ['user_id', 'U00001534'],
      ['pay_code', '134588558514585062'],
      ['amount', 0.05],
    ];
    assert.equal(signParams(params, KEY), hexOf('barcode'));
  });

  test('signObject rebuilds the invoice vector with amount sent as the JSON number 1', () => {
    const fields: Record<string, ParamValue> = {
      wallet_id: 'W000000023',
      user_id: 'U000000013',
      product_name: 'ticket',
      notify_url: 'https://yourwebsite.com/latipay/notify',
      amount: 1,
    };
    assert.equal(signObject(fields, KEY), hexOf('invoice'));
  });

  test('signResult concatenates reference, method, status, currency and amount in that order', () => {
    const fields = { merchant_reference: 'dsi39ej430sks03', payment_method: 'alipay', status: 'paid', currency: 'NZD', amount: '120.00' };
    assert.equal(signResult(KEY, fields), hexOf('result signature'));
    assert.equal(signResult(KEY, { ...fields, merchant_reference: '6000324' }), hexOf('result signature, numeric reference'));
    assert.equal(
      signResult('7EE1', { merchant_reference: '22TEST', payment_method: 'alipay', status: 'pending', currency: 'AUD', amount: '0.01' }),
      hexOf('key 7EE1'),
    );
  });
});

describe('verifyRequestSignature accepts every §2.2 variant', () => {
  test('sorted form without empty values', () => {
    assert.equal(verifyRequestSignature(CREATE_PARAMS, KEY, hexOf('create transaction, full')), true);
  });

  test('sorted form that drops an empty value a client sent', () => {
    const params: Params = [...CREATE_PARAMS, ['host_type', '']];
    assert.equal(verifyRequestSignature(params, KEY, hexOf('create transaction, full')), true);
  });

  test('sorted form keeping an empty value (reference=)', () => {
    const params: Params = [
      ['user_id', 'U000334333'],
      ['order_id', '23479798sdf7987234'],
      ['refund_amount', '120.00'],
      ['reference', ''],
    ];
    const rubySignature = hmacHex(KEY, 'order_id=23479798sdf7987234&reference=&refund_amount=120.00&user_id=U000334333' + KEY);
    assert.equal(verifyRequestSignature(params, KEY, rubySignature), true);
  });

  test('parameters in the order received', () => {
    const params: Params = [
      ['user_id', 'U000000013'],
      ['merchant_reference', '9872428736782682'],
    ];
    assert.equal(verifyRequestSignature(params, KEY, hexOf('cancel, received order')), true);
  });

  test('received order dropping an empty value', () => {
    const params: Params = [
      ['user_id', 'U1'],
      ['note', ''],
      ['merchant_reference', 'R1'],
    ];
    assert.equal(verifyRequestSignature(params, KEY, hmacHex(KEY, 'user_id=U1&merchant_reference=R1' + KEY)), true);
  });

  test('received order keeping an empty value', () => {
    const params: Params = [
      ['user_id', 'U1'],
      ['note', ''],
      ['merchant_reference', 'R1'],
    ];
    assert.equal(verifyRequestSignature(params, KEY, hmacHex(KEY, 'user_id=U1&note=&merchant_reference=R1' + KEY)), true);
  });

  const legacyParams: Params = [
    ['user_id', 'U000000001'],
    ['wallet_id', 'W00000001'],
    ['amount', '0.01'],
    ['payment_method', 'alipay'],
    ['return_url', 'http://merchant.com/return'],
    ['callback_url', 'http://merchant.com/callback'],
  ];
  const legacyMessages = [
    'U000000001W000000010.01alipayhttp://merchant.com/returnhttp://merchant.com/callback',
    'U000000001W000000010.01alipayhttp://merchant.com/callback',
  ];

  test('legacy create-transaction concatenation when passed as a legacy message', () => {
    assert.equal(verifyRequestSignature(legacyParams, KEY, hexOf('legacy create concatenation'), legacyMessages), true);
  });

  test('oldest create-transaction concatenation when passed as a legacy message', () => {
    assert.equal(verifyRequestSignature(legacyParams, KEY, hexOf('legacy oldest create concatenation'), legacyMessages), true);
  });

  test('a legacy concatenation is refused when the endpoint passes no legacy messages', () => {
    assert.equal(verifyRequestSignature(legacyParams, KEY, hexOf('legacy create concatenation')), false);
  });

  test('query legacy form merchant_reference + user_id', () => {
    const params: Params = [['user_id', 'U000000013']];
    const signature = hmacHex(KEY, '6000324' + 'U000000013');
    assert.equal(verifyRequestSignature(params, KEY, signature, ['6000324U000000013']), true);
    assert.equal(verifyRequestSignature(params, KEY, signature), false);
  });

  test('detail legacy form wallet_id + user_id', () => {
    const params: Params = [['user_id', 'U000000013']];
    const signature = hmacHex(KEY, 'W00000001' + 'U000000013');
    assert.equal(verifyRequestSignature(params, KEY, signature, ['W00000001U000000013']), true);
  });

  test('uppercase hex', () => {
    assert.equal(verifyRequestSignature(CREATE_PARAMS, KEY, hexOf('create transaction, full').toUpperCase()), true);
  });

  test('a signature parameter among the params is ignored when rebuilding the message', () => {
    const signature = hexOf('create transaction, full');
    assert.equal(verifyRequestSignature([...CREATE_PARAMS, ['signature', signature]], KEY, signature), true);
  });
});

describe('verifyRequestSignature rejects', () => {
  const good = hexOf('create transaction, full');

  test('a wrong signature', () => {
    assert.equal(verifyRequestSignature(CREATE_PARAMS, KEY, flipHexChar(good, 10)), false);
  });

  test('a signature made with another api key', () => {
    assert.equal(verifyRequestSignature(CREATE_PARAMS, KEY, signParams(CREATE_PARAMS, '111222334')), false);
  });

  test('a 63-character prefix of the right signature', () => {
    assert.equal(verifyRequestSignature(CREATE_PARAMS, KEY, good.slice(0, 63)), false);
  });

  test('the right signature with a character appended', () => {
    assert.equal(verifyRequestSignature(CREATE_PARAMS, KEY, good + '0'), false);
  });

  test('a non-string signature', () => {
    for (const given of [undefined, null, 123, true, [good], { signature: good }, Buffer.from(good)]) {
      assert.equal(verifyRequestSignature(CREATE_PARAMS, KEY, given), false, `given ${String(given)}`);
    }
  });

  test('an empty signature', () => {
    assert.equal(verifyRequestSignature(CREATE_PARAMS, KEY, ''), false);
  });

  test('a tampered parameter value', () => {
    const tampered: Params = CREATE_PARAMS.map(([k, v]) => [k, k === 'amount' ? '1200.00' : v]);
    assert.equal(verifyRequestSignature(tampered, KEY, good), false);
  });

  test('a value tampered only by whitespace (values are used exactly as received)', () => {
    const tampered: Params = CREATE_PARAMS.map(([k, v]) => [k, k === 'amount' ? ' 120.00' : v]);
    assert.equal(verifyRequestSignature(tampered, KEY, good), false);
  });

  test('an amount normalised from 120.00 to 120', () => {
    const tampered: Params = CREATE_PARAMS.map(([k, v]) => [k, k === 'amount' ? 120 : v]);
    assert.equal(verifyRequestSignature(tampered, KEY, good), false);
  });

  test('an added parameter', () => {
    assert.equal(verifyRequestSignature([...CREATE_PARAMS, ['host_type', '1']], KEY, good), false);
  });

  test('non-hex characters whose Latin-1 low byte is a hex digit', () => {
    // U+0131 'ı' and U+0161 'š' truncate to '1' and 'a' under Latin-1 encoding.
    const lookalike = good.replace(/1/g, '\u0131').replace(/a/g, '\u0161');
    assert.notEqual(lookalike, good);
    assert.equal(lookalike.length, 64);
    assert.equal(verifyRequestSignature(CREATE_PARAMS, KEY, lookalike), false);
  });
});

describe('joinParams converts values like JavaScript String()', () => {
  test('numbers become their shortest decimal text', () => {
    assert.equal(joinParams([['amount', 120], ['rate', 0.5], ['zero', 0]]), 'amount=120&rate=0.5&zero=0');
  });

  test('booleans become true and false', () => {
    assert.equal(joinParams([['a', true], ['b', false]]), 'a=true&b=false');
  });

  test('null and undefined are dropped, even when empties are kept', () => {
    const params: Params = [['a', null], ['b', undefined], ['c', 'x']];
    assert.equal(joinParams(params), 'c=x');
    assert.equal(joinParams(params, { keepEmpty: true }), 'c=x');
  });

  test('empty strings are dropped by default and kept with keepEmpty', () => {
    const params: Params = [['b', ''], ['a', 'x']];
    assert.equal(joinParams(params), 'a=x');
    assert.equal(joinParams(params, { keepEmpty: true }), 'a=x&b=');
  });

  test('the signature key is excluded', () => {
    assert.equal(joinParams([['signature', 'abc'], ['a', '1']]), 'a=1');
    assert.equal(joinParams([['signature', 'abc'], ['a', '1']], { sorted: false, keepEmpty: true }), 'a=1');
  });

  test('uppercase keys sort before lowercase keys (code-unit order)', () => {
    assert.equal(joinParams([['b', '1'], ['a', '2'], ['Z', '3'], ['A', '4'], ['_', '5']]), 'A=4&Z=3&_=5&a=2&b=1');
  });

  test('a key that is a prefix of another sorts first', () => {
    assert.equal(joinParams([['amount_cny', '2'], ['amount', '1']]), 'amount=1&amount_cny=2');
  });

  test('values are neither trimmed nor URL-encoded', () => {
    assert.equal(joinParams([['u', 'http://x.com/a?b=1&c= d ']]), 'u=http://x.com/a?b=1&c= d ');
  });

  test('sorted: false keeps the received order', () => {
    assert.equal(joinParams([['b', '1'], ['a', '2']], { sorted: false }), 'b=1&a=2');
  });

  test('no parameters join to the empty string', () => {
    assert.equal(joinParams([]), '');
  });
});

describe('signaturesEqual', () => {
  const hex = hmacHex('k', 'm');

  test('is true for identical hex', () => {
    assert.equal(signaturesEqual(hex, hex), true);
  });

  test('is case-insensitive in both arguments', () => {
    assert.equal(signaturesEqual(hex, hex.toUpperCase()), true);
    assert.equal(signaturesEqual(hex.toUpperCase(), hex), true);
  });

  test('is false for strings of different lengths', () => {
    assert.equal(signaturesEqual(hex, hex.slice(0, -1)), false);
    assert.equal(signaturesEqual(hex, hex + 'a'), false);
    assert.equal(signaturesEqual(hex, ''), false);
  });

  test('is false when one digit differs', () => {
    assert.equal(signaturesEqual(hex, flipHexChar(hex, 63)), false);
  });

  test('is false for non-hex characters of equal length', () => {
    assert.equal(signaturesEqual('ab', 'ag'), false);
    assert.equal(signaturesEqual('a1', '\u0161\u0131'), false);
  });
});

describe('signature properties', () => {
  const paramValue: fc.Arbitrary<ParamValue> = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.boolean(),
    fc.constant(null),
    fc.constant(undefined),
  );
  const entries = fc.uniqueArray(fc.tuple(fc.string({ minLength: 1 }), paramValue), {
    selector: ([k]) => k,
    maxLength: 12,
  });
  const entriesAndShuffle = entries.chain((list) =>
    fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length })),
  );

  test('a sorted signature over shuffled parameters verifies against the received parameters', () => {
    fc.assert(
      fc.property(entriesAndShuffle, fc.string(), ([received, shuffled], key) => {
        assert.equal(verifyRequestSignature(received, key, signParams(shuffled, key)), true);
      }),
    );
  });

  test('flipping any one hex character makes the signature fail', () => {
    fc.assert(
      fc.property(entriesAndShuffle, fc.string(), fc.nat(63), ([received, shuffled], key, index) => {
        const flipped = flipHexChar(signParams(shuffled, key), index);
        assert.equal(verifyRequestSignature(received, key, flipped), false);
      }),
    );
  });
});
