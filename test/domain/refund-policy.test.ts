import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decideRefund, type RefundSituation } from '../../src/domain/refund-policy.js';

const fine: RefundSituation = { orderStatus: 'paid', paidMinor: 1000, refundedMinor: 0, balanceMinor: 1000, amountMinor: 100, duplicate: false };
const errorOf = (s: Partial<RefundSituation>) => {
  const decision = decideRefund({ ...fine, ...s });
  return decision.ok ? 'ok' : decision.error;
};

describe('decideRefund', () => {
  test('a paid order with room and balance may be refunded, up to exactly what is left', () => {
    assert.equal(errorOf({}), 'ok');
    assert.equal(errorOf({ refundedMinor: 900, amountMinor: 100 }), 'ok');
  });

  test('only paid orders (556)', () => {
    for (const orderStatus of ['pending', 'failed', 'canceled', 'rejected']) assert.equal(errorOf({ orderStatus }), 'REFUND_FAILED', orderStatus);
  });

  test('more than is left to refund is a parameter error (550)', () => {
    assert.equal(errorOf({ amountMinor: 1001 }), 'REFUND_BAD_PARAMETERS');
    assert.equal(errorOf({ refundedMinor: 901, amountMinor: 100 }), 'REFUND_BAD_PARAMETERS');
  });

  test('more than the wallet balance (559)', () => {
    assert.equal(errorOf({ balanceMinor: 99 }), 'INSUFFICIENT_BALANCE');
    assert.equal(errorOf({ balanceMinor: 100 }), 'ok');
  });

  test('checks in order: not paid, then duplicate, then what is left, then the balance', () => {
    assert.equal(errorOf({ orderStatus: 'pending', duplicate: true }), 'REFUND_FAILED');
    assert.equal(errorOf({ duplicate: true, amountMinor: 5000, balanceMinor: 0 }), 'REFUND_DUPLICATE');
    assert.equal(errorOf({ amountMinor: 5000, balanceMinor: 0 }), 'REFUND_BAD_PARAMETERS');
  });
});
