import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ORDER_STATUSES, canMove, isFinal, redirectStatus, type FinalStatus, type OrderStatus } from '../../src/domain/order-status.js';

const FINAL_STATUSES = ORDER_STATUSES.filter((s): s is FinalStatus => s !== 'pending');

describe('canMove', () => {
  for (const to of FINAL_STATUSES) {
    test(`pending can move to ${to}`, () => {
      assert.equal(canMove('pending', to), true);
    });
  }

  test('pending cannot move to pending', () => {
    assert.equal(canMove('pending', 'pending'), false);
  });

  for (const from of FINAL_STATUSES) {
    test(`${from} is final and cannot move anywhere, not even to itself`, () => {
      for (const to of ORDER_STATUSES) assert.equal(canMove(from, to), false, `${from} -> ${to}`);
    });
  }

  test('the status list is exactly the five wire statuses', () => {
    assert.deepEqual([...ORDER_STATUSES].sort(), ['canceled', 'failed', 'paid', 'pending', 'rejected']);
  });

  test('any sequence of legal moves changes the status at most once', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ORDER_STATUSES), { maxLength: 20 }), (attempts) => {
        let status: OrderStatus = 'pending';
        let moves = 0;
        for (const to of attempts) {
          if (canMove(status, to)) {
            status = to;
            moves++;
          }
        }
        assert.ok(moves <= 1);
        assert.equal(moves === 1, attempts.some((s) => s !== 'pending'));
      }),
    );
  });
});

describe('isFinal', () => {
  test('only pending is not final', () => {
    assert.equal(isFinal('pending'), false);
    for (const s of FINAL_STATUSES) assert.equal(isFinal(s), true, s);
  });
});

describe('redirectStatus', () => {
  test('paid redirects as paid', () => {
    assert.equal(redirectStatus('paid'), 'paid');
  });

  for (const s of FINAL_STATUSES.filter((s) => s !== 'paid')) {
    test(`${s} redirects as cancel_or_fail`, () => {
      assert.equal(redirectStatus(s), 'cancel_or_fail');
    });
  }
});
