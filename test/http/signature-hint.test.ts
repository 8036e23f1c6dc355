import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTestGateway, signed, transactionFields } from '../helpers/gateway.js';
import { answerOf, postTransaction } from './support.js';

describe('a 206 says what was expected to be signed, outside production only', () => {
  test('development: the message shows the sorted string with the key as <api_key>, and never the key', async () => {
    const gw = await createTestGateway();
    try {
      const fields = transactionFields(gw.merchant, { merchant_reference: 'hint-1', product_name: 'Tea' });
      const answer = answerOf(await postTransaction(gw, signed(fields, 'a'.repeat(32))));
      assert.equal(answer.code, 206);
      const expected = Object.keys(fields)
        .sort()
        .map((k) => `${k}=${fields[k]}`)
        .join('&');
      assert.ok(answer.message.includes(JSON.stringify(expected + '<api_key>')), answer.message);
      assert.ok(!answer.message.includes(gw.merchant.api_key));
    } finally {
      await gw.close();
    }
  });

  test('production: the plain 206 message', async () => {
    const gw = await createTestGateway({ env: { NODE_ENV: 'production', PUBLIC_URL: 'https://pay.example.test', SANDBOX: 'on' }, merchant: { test: true } });
    try {
      const answer = answerOf(await postTransaction(gw, signed(transactionFields(gw.merchant), 'a'.repeat(32))));
      assert.equal(answer.code, 206);
      assert.equal(answer.message, 'signature from merchant request is wrong');
    } finally {
      await gw.close();
    }
  });
});
