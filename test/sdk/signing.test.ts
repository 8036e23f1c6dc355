import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  hmacSha256Hex,
  Latipay,
  LatipaySignatureError,
  signaturesMatch,
  signParams,
  signResult,
  sortedMessage,
  verifyCallbackFields,
  type FetchLike,
} from '../../sdk/src/index.js';

// The SDK's signer against the test vectors of the wire contract (spec §2.4), and the
// verification of callbacks and redirects: genuine ones pass, altered ones are refused.

const KEY = '111222333';

/** The create-transaction fields of the spec's first vector. */
const CREATE = {
  amount: '120.00',
  callback_url: 'https://merchantsite.com/confirm',
  ip: '122.122.122.1',
  merchant_reference: 'dsi39ej430sks03',
  payment_method: 'alipay',
  product_name: 'Pinot Noir, Otago',
  return_url: 'https://merchantsite.com/checkout',
  user_id: 'U000334333',
  version: '2.0',
  wallet_id: 'W00000001',
};

describe('spec §2.4 vectors through the SDK signer', () => {
  test('sorted signature of a create-transaction request', () => {
    assert.equal(signParams(CREATE, KEY), '8d1bea078eaacdae8388852851ec39e2e8561cdce64f359421d85ed4844496ec');
  });

  test('the message is built in code-unit key order whatever order the fields are given in', () => {
    const shuffled = Object.fromEntries(Object.entries(CREATE).reverse());
    assert.equal(sortedMessage(shuffled), sortedMessage(CREATE));
    assert.equal(signParams(shuffled, KEY), '8d1bea078eaacdae8388852851ec39e2e8561cdce64f359421d85ed4844496ec');
  });

  test('without return_url, with host_type=1', () => {
    const { return_url: _, ...rest } = CREATE;
    assert.equal(signParams({ ...rest, host_type: '1' }, KEY), '14b8268bd86e1815c192debb1d13a16ab1fe008f49e57eea5d64aaf111a8ed67');
  });

  test('without return_url, without host_type (an empty return_url is left out the same way)', () => {
    const { return_url: _, ...rest } = CREATE;
    assert.equal(signParams(rest, KEY), 'a6b2ead2612b3ad51fd33688d4335d55ad426941fcf160745d3a49354224de22');
    assert.equal(signParams({ ...rest, return_url: '', host_type: undefined, backPage_url: null }, KEY), 'a6b2ead2612b3ad51fd33688d4335d55ad426941fcf160745d3a49354224de22');
  });

  test('without payment_method and return_url (mini Alipay)', () => {
    const { return_url: _r, payment_method: _p, ...rest } = CREATE;
    assert.equal(signParams(rest, KEY), '1f8e75dd34fc5ca7b478772efdb6fa9e1a5c89e8e0412ccde81912fc16e2ed07');
  });

  test('result signatures (callback, redirect, query)', () => {
    const result = { merchant_reference: 'dsi39ej430sks03', payment_method: 'alipay', status: 'paid', currency: 'NZD', amount: '120.00' };
    assert.equal(signResult(result, KEY), '840151e0dc39496e22b410b83058b4ddd633b786936c505ae978fae029a1e0f1');
    assert.equal(signResult({ ...result, merchant_reference: '6000324' }, KEY), '3149d48405bf8782b8b4ae816a91744c5eb6d4a0293f8bb9bc8f0d9f29fdfb40');
    assert.equal(
      signResult({ merchant_reference: '22TEST', payment_method: 'alipay', status: 'pending', currency: 'AUD', amount: '0.01' }, '7EE1'),
      '22c98f90eefbd40b84aad11321a4881280b5a5ac886a6132b9990c6710212f78',
    );
  });

  test('query, refund, barcode and invoice requests', () => {
    assert.equal(signParams({ user_id: 'U000000013', merchant_reference: '6000324' }, KEY), '58f93f458880120d650611f2452917a25a39edc2f5e3a03baac73a7a49bc81f4');
    assert.equal(
      signParams({ user_id: 'U000334333', refund_amount: '120.00', reference: 'notes about this refund', order_id: '23479798sdf7987234' }, KEY),
      '3052b51072570b743bf9a12a20a45b0adf280aee84907ef0e54d1079fb3f961c',
    );
    assert.equal(
      signParams({ wallet_id: 'W00000001', user_id: 'U00001534', pay_code: '134588558514585062', amount: '0.05' }, KEY),
      'e66d54f711bc6a1dde59838c8b0de73ccc8b025a2ae65ae878216f010a05f599',
    );
    // A JSON number is signed the way String() writes it: 1 → "1".
    assert.equal(
      signParams({ amount: 1, notify_url: 'https://yourwebsite.com/latipay/notify', product_name: 'ticket', user_id: 'U000000013', wallet_id: 'W000000023' }, KEY),
      '9361c9e5ac5fc269296cc946377b3b4dea03685aa623482981a82101047672d9',
    );
  });

  test('messages signed as they are: the cancel example in received order and the legacy concatenations', () => {
    assert.equal(hmacSha256Hex(KEY, 'user_id=U000000013&merchant_reference=9872428736782682111222333'), 'da3b80be09665913e632f1bc0822e3d98d8dd235aebeb6f532b6bb7e329b9635');
    assert.equal(
      hmacSha256Hex(KEY, 'U000000001W000000010.01alipayhttp://merchant.com/returnhttp://merchant.com/callback'),
      'a2367bcd9e9a2f9a547c85d7545d1217702a574b8084bbb7ae33b45a03a89983',
    );
    assert.equal(hmacSha256Hex(KEY, 'U000000001W000000010.01alipayhttp://merchant.com/callback'), 'cf3cf508b7b245be8921e324d5cb588598c36a07ffc62f998b90ab0e355f2d78');
  });

  test('keys sort by code unit (uppercase first); booleans and numbers become their String() form', () => {
    assert.equal(sortedMessage({ b: '2', a: '1', B: '3', signature: 'x', e: '' }), 'B=3&a=1&b=2');
    assert.equal(sortedMessage({ flag: true, n: 0 }), 'flag=true&n=0');
  });
});

describe('the client signs what it sends with the spec vectors', () => {
  /** A gateway that records requests and answers each with `answer(fields)`. */
  function recordingFetch(answer: (body: Record<string, string>, url: URL) => object) {
    const requests: Array<{ url: URL; body: Record<string, string> }> = [];
    const fetch: FetchLike = async (url, init) => {
      const body = init.body ? (JSON.parse(String(init.body)) as Record<string, string>) : {};
      const parsed = new URL(url);
      requests.push({ url: parsed, body });
      return new Response(JSON.stringify(answer(body, parsed)), { status: 200, headers: { 'content-type': 'application/json' } });
    };
    return { fetch, requests };
  }

  test('createTransaction sends the first vector', async () => {
    const hostUrl = 'https://pay.example/pay';
    const nonce = 'a'.repeat(64);
    const gateway = recordingFetch(() => ({ code: 0, message: 'SUCCESS', host_url: hostUrl, nonce, signature: hmacSha256Hex(KEY, nonce + hostUrl) }));
    const latipay = new Latipay({ userId: 'U000334333', walletId: 'W00000001', apiKey: KEY, baseUrl: 'https://api.example', fetch: gateway.fetch });
    const created = await latipay.createTransaction({
      amount: '120.00',
      payment_method: 'alipay',
      merchant_reference: 'dsi39ej430sks03',
      product_name: 'Pinot Noir, Otago',
      return_url: 'https://merchantsite.com/checkout',
      callback_url: 'https://merchantsite.com/confirm',
      ip: '122.122.122.1',
    });
    assert.equal(created.payment_url, `${hostUrl}/${nonce}`);
    const [sent] = gateway.requests;
    assert.equal(sent.url.pathname, '/v2/transaction');
    assert.deepEqual({ ...sent.body, signature: undefined }, { ...CREATE, signature: undefined });
    assert.equal(sent.body.signature, '8d1bea078eaacdae8388852851ec39e2e8561cdce64f359421d85ed4844496ec');
  });

  test('createTransaction for a merchant-hosted QR sends the host_type vector', async () => {
    const hostUrl = 'https://pay.example/v2/merchanthosted/gatewaydata';
    const nonce = 'b'.repeat(64);
    const gateway = recordingFetch(() => ({ code: 0, message: 'SUCCESS', host_url: hostUrl, nonce, signature: hmacSha256Hex(KEY, nonce + hostUrl) }));
    const latipay = new Latipay({ userId: 'U000334333', walletId: 'W00000001', apiKey: KEY, baseUrl: 'https://api.example', fetch: gateway.fetch });
    await latipay.createTransaction({
      amount: 120,
      payment_method: 'alipay',
      merchant_reference: 'dsi39ej430sks03',
      product_name: 'Pinot Noir, Otago',
      callback_url: 'https://merchantsite.com/confirm',
      ip: '122.122.122.1',
      host_type: '1',
    });
    assert.equal(gateway.requests[0].body.amount, '120.00');
    assert.equal(gateway.requests[0].body.signature, '14b8268bd86e1815c192debb1d13a16ab1fe008f49e57eea5d64aaf111a8ed67');
  });

  test('queryTransaction, refund and barcode send their vectors', async () => {
    const result = { merchant_reference: '6000324', payment_method: 'alipay', status: 'paid', currency: 'NZD', amount: '120.00' };
    const gateway = recordingFetch((_body, url) => {
      if (url.pathname.startsWith('/v2/transaction/')) return { code: 0, message: 'SUCCESS', ...result, order_id: '1', pay_time: '', signature: signResult(result, KEY) };
      if (url.pathname === '/barcode') return { code: 0, message: 'SUCCESS', order_id: '2017000001' };
      return { code: 0, message: 'SUCCESS' };
    });
    const base = { apiKey: KEY, baseUrl: 'https://api.example', fetch: gateway.fetch };

    await new Latipay({ ...base, userId: 'U000000013', walletId: 'W1' }).queryTransaction('6000324');
    assert.equal(gateway.requests[0].url.searchParams.get('signature'), '58f93f458880120d650611f2452917a25a39edc2f5e3a03baac73a7a49bc81f4');

    await new Latipay({ ...base, userId: 'U000334333', walletId: 'W1' }).refund({
      order_id: '23479798sdf7987234',
      refund_amount: '120.00',
      reference: 'notes about this refund',
    });
    assert.equal(gateway.requests[1].url.pathname, '/refund');
    assert.equal(gateway.requests[1].body.signature, '3052b51072570b743bf9a12a20a45b0adf280aee84907ef0e54d1079fb3f961c');

    const { order_id } = await new Latipay({ ...base, userId: 'U00001534', walletId: 'W00000001' }).barcode({ amount: 0.05, pay_code: '134588558514585062' });
    assert.equal(order_id, '2017000001');
    assert.equal(gateway.requests[2].body.amount, '0.05');
    assert.equal(gateway.requests[2].body.signature, 'e66d54f711bc6a1dde59838c8b0de73ccc8b025a2ae65ae878216f010a05f599');
  });
});

describe('verifyCallback', () => {
  const latipay = new Latipay({ userId: 'U000334333', walletId: 'W00000001', apiKey: KEY, baseUrl: 'https://api.example' });
  // A callback as the gateway posts it; its signature is the spec's vector for these fields.
  const genuine = {
    merchant_reference: 'dsi39ej430sks03',
    order_id: '2017232323345678',
    currency: 'NZD',
    amount: '120.00',
    payment_method: 'alipay',
    status: 'paid',
    pay_time: '2017-07-07 10:53:50',
    signature: '840151e0dc39496e22b410b83058b4ddd633b786936c505ae978fae029a1e0f1',
  };
  const body = new URLSearchParams(genuine).toString();

  test('accepts a genuine callback in every shape a framework hands over', () => {
    for (const input of [body, Buffer.from(body), new URLSearchParams(body), { ...genuine }]) {
      const event = latipay.verifyCallback(input);
      assert.equal(event.type, 'callback');
      assert.equal(event.paid, true);
      assert.equal(event.status, 'paid');
      assert.equal(event.merchant_reference, 'dsi39ej430sks03');
      assert.equal(event.order_id, '2017232323345678');
      assert.equal(event.amount, '120.00');
      assert.equal(event.pay_time, '2017-07-07 10:53:50');
    }
  });

  test('accepts the signature in upper case and keeps extra fields', () => {
    const event = latipay.verifyCallback({ ...genuine, signature: genuine.signature.toUpperCase(), payId: 'P-1' });
    assert.equal(event.fields.payId, 'P-1');
  });

  test('refuses a callback with any signed field altered', () => {
    const alterations: Record<string, string> = {
      merchant_reference: 'dsi39ej430sks04',
      payment_method: 'wechat',
      status: 'failed',
      currency: 'AUD',
      amount: '1200.00',
    };
    for (const [field, value] of Object.entries(alterations)) {
      assert.throws(() => latipay.verifyCallback({ ...genuine, [field]: value }), LatipaySignatureError, field);
    }
  });

  test('refuses a missing or malformed signature, a missing field, a repeated field and another key', () => {
    const { signature: _, ...unsigned } = genuine;
    assert.throws(() => latipay.verifyCallback(unsigned), LatipaySignatureError);
    assert.throws(() => latipay.verifyCallback({ ...genuine, signature: 'not-hex' }), LatipaySignatureError);
    assert.throws(() => latipay.verifyCallback({ ...genuine, signature: genuine.signature.slice(1) + '0' }), LatipaySignatureError);
    const { currency: _c, ...noCurrency } = genuine;
    assert.throws(() => latipay.verifyCallback(noCurrency), LatipaySignatureError);
    assert.throws(() => latipay.verifyCallback(`${body}&status=failed`), LatipaySignatureError);
    assert.throws(() => latipay.verifyCallback({ ...genuine, status: ['paid'] }), LatipaySignatureError);
    assert.throws(() => verifyCallbackFields(body, 'another-key'), LatipaySignatureError);
  });
});

describe('verifyReturn', () => {
  const latipay = new Latipay({ userId: 'U1', walletId: 'W1', apiKey: '7EE1', baseUrl: 'https://api.example' });
  const fields = { merchant_reference: '22TEST', payment_method: 'alipay', status: 'cancel_or_fail', currency: 'AUD', amount: '0.01' };
  const query = new URLSearchParams({ ...fields, signature: signResult(fields, '7EE1') }).toString();

  test('accepts a genuine redirect as a URL, a path, a query string and parsed fields', () => {
    const inputs = [
      `https://shop.example/return?order=7&${query}#top`,
      `/return?${query}`,
      `?${query}`,
      query,
      new URL(`https://shop.example/return?${query}`),
      new URLSearchParams(query),
      Object.fromEntries(new URLSearchParams(query)),
    ];
    for (const input of inputs) {
      const event = latipay.verifyReturn(input);
      assert.equal(event.type, 'return');
      assert.equal(event.status, 'cancel_or_fail');
      assert.equal(event.paid, false);
      assert.equal(event.merchant_reference, '22TEST');
    }
  });

  test('a paid redirect is paid', () => {
    const paid = { ...fields, status: 'paid' };
    const event = latipay.verifyReturn(new URLSearchParams({ ...paid, signature: signResult(paid, '7EE1') }));
    assert.equal(event.paid, true);
  });

  test('refuses a redirect whose status was changed to paid, or whose amount was changed', () => {
    assert.throws(() => latipay.verifyReturn(query.replace('cancel_or_fail', 'paid')), LatipaySignatureError);
    assert.throws(() => latipay.verifyReturn(query.replace('amount=0.01', 'amount=0.02')), LatipaySignatureError);
    assert.throws(() => latipay.verifyReturn('/return?merchant_reference=22TEST'), LatipaySignatureError);
  });
});

test('signaturesMatch ignores hex case and refuses anything that is not 64 hex digits', () => {
  const hex = signResult({ merchant_reference: 'a', payment_method: 'alipay', status: 'paid', currency: 'NZD', amount: '1.00' }, KEY);
  assert.equal(signaturesMatch(hex, hex.toUpperCase()), true);
  assert.equal(signaturesMatch(hex, hex.slice(0, 63)), false);
  assert.equal(signaturesMatch(hex, undefined), false);
  assert.equal(signaturesMatch(hex, `${hex.slice(0, 63)}ı`), false);
});
