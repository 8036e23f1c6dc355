import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_GOODS_ITEMS, parseOrderDetails } from '../../src/domain/order-details.js';
import { RequestParams } from '../../src/domain/request-params.js';

const parse = (fields: Record<string, string | number>) => parseOrderDetails(RequestParams.from(fields));
const refused = (fields: Record<string, string | number>, message: RegExp) =>
  assert.throws(() => parse(fields), (error: { code?: number; message?: string }) => error.code === 207 && message.test(String(error.message).replace(/^parameter is wrong: /, '')), JSON.stringify(fields));

test('no console field: nothing to keep', () => {
  assert.equal(parse({ amount: '1.00', is_spotpay: '' }), undefined);
});

test('the flags are "0" or "1"; goods_detail is read into minor units; the payer id is kept as sent', () => {
  const goods = JSON.stringify([
    { goods_id: 'SKU-1', goods_name: 'Manuka honey 500g', quantity: 2, price: '24.50' },
    { goods_name: 'Gift wrap', quantity: '1', price: '0', wxpay_goods_id: '3405' },
  ]);
  assert.deepEqual(parse({ is_staticpay: '0', is_spotpay: '1', goods_detail: goods, id_name: 'Aroha Ngata', id_number: 'AB123456' }), {
    staticPay: false,
    spotPay: true,
    goods: [
      { goodsId: 'SKU-1', name: 'Manuka honey 500g', quantity: 2, unitPriceMinor: 2450 },
      { wxpayGoodsId: '3405', name: 'Gift wrap', quantity: 1, unitPriceMinor: 0 },
    ],
    idName: 'Aroha Ngata',
    idNumber: 'AB123456',
  });
});

test('bad values answer 207 naming the field', () => {
  refused({ is_staticpay: 'yes' }, /^is_staticpay must be "0" or "1"/);
  refused({ is_spotpay: 2 }, /^is_spotpay must be "0" or "1"/);
  refused({ goods_detail: 'not json' }, /^goods_detail must be a JSON array/);
  refused({ goods_detail: '{"goods_name":"x"}' }, /^goods_detail must be a JSON array/);
  refused({ goods_detail: '[]' }, /^goods_detail must be a JSON array/);
  refused({ goods_detail: '[1]' }, /^goods_detail \[0\] must be an object/);
  refused({ goods_detail: '[{"quantity":1,"price":"1.00"}]' }, /^goods_detail \[0\]\.goods_name/);
  refused({ goods_detail: '[{"goods_name":"a","quantity":0,"price":"1.00"}]' }, /^goods_detail \[0\]\.quantity/);
  refused({ goods_detail: '[{"goods_name":"a","quantity":1.5,"price":"1.00"}]' }, /^goods_detail \[0\]\.quantity/);
  refused({ goods_detail: '[{"goods_name":"a","quantity":1,"price":"1.005"}]' }, /^goods_detail \[0\]\.price has more than 2 decimals/);
  refused({ goods_detail: '[{"goods_name":"a","quantity":1,"price":"-1"}]' }, /^goods_detail \[0\]\.price/);
  refused({ goods_detail: '[{"goods_name":"a","quantity":1,"price":"1","goods_id":"has space"}]' }, /^goods_detail \[0\]\.goods_id/);
  refused({ goods_detail: JSON.stringify(Array.from({ length: MAX_GOODS_ITEMS + 1 }, () => ({ goods_name: 'a', quantity: 1, price: '1' }))) }, /at most 50 goods/);
  refused({ goods_detail: '[{"goods_name":"a","quantity":1000000,"price":"99999999.99"},{"goods_name":"b","quantity":1000000,"price":"99999999.99"}]' }, /adds up to more/);
  refused({ id_number: '12 34' }, /^id_number must be 1 to 32 letters and digits/);
  refused({ id_number: '1'.repeat(33) }, /^id_number/);
  refused({ id_name: 'a\nb' }, /^id_name/);
  refused({ id_name: 'x'.repeat(65) }, /^id_name/);
});
