import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ORDER_STATUSES, type OrderStatus } from '../../src/domain/order-status.js';
import { decideSettlement, type AttemptReport } from '../../src/domain/settlement.js';

const pending = { status: 'pending' as OrderStatus, amountMinor: 12_000, currency: 'AUD', paidAttemptId: null };
const report = (state: AttemptReport['state'], extra: Partial<AttemptReport> = {}): AttemptReport => ({ attemptId: 'A01', state, occurredAt: 1, ...extra });

describe('decideSettlement', () => {
  test('a payer cancelling at the bank ends a pending order canceled, crediting nothing', () => {
    assert.deepEqual(decideSettlement(pending, report('canceled')), { action: 'finish', status: 'canceled', paidAt: null, creditMinor: 0 });
  });

  test('a payment the provider rejected (PayID) ends a pending order rejected, crediting nothing', () => {
    assert.deepEqual(decideSettlement(pending, report('rejected', { amountMinor: 12_000, currency: 'AUD' })), {
      action: 'finish',
      status: 'rejected',
      paidAt: null,
      creditMinor: 0,
    });
  });

  test('declined and closed reports still end a pending order failed', () => {
    for (const state of ['failed', 'closed'] as const) {
      assert.deepEqual(decideSettlement(pending, report(state)), { action: 'finish', status: 'failed', paidAt: null, creditMinor: 0 });
    }
  });

  test('a report that is not a payment never changes an order that is already final', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ORDER_STATUSES.filter((s) => s !== 'pending')),
        fc.constantFrom('failed' as const, 'closed' as const, 'canceled' as const, 'rejected' as const),
        (status, state) => decideSettlement({ ...pending, status, paidAttemptId: status === 'paid' ? 'A01' : null }, report(state)).action === 'none',
      ),
    );
  });

  test('a payment arriving for a rejected order is given back, as for any order that cannot take it', () => {
    assert.deepEqual(decideSettlement({ ...pending, status: 'rejected' }, report('paid', { amountMinor: 12_000, currency: 'AUD' })), {
      action: 'reverse',
      amountMinor: 12_000,
    });
  });
});
