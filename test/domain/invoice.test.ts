import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { invoiceStatus, pageRefusal, parseFlag, parseWholeNumber, type InvoiceState } from '../../src/domain/invoice.js';

const NOW = 1_000_000;
const open: InvoiceState = { status: 'pending', expiresAt: NOW + 60_000, openCount: 0, maxOpenCount: null };

describe('invoiceStatus', () => {
  test('before a payer picks a method: pending until its period ends, then failed', () => {
    assert.equal(invoiceStatus(open, undefined, NOW), 'pending');
    assert.equal(invoiceStatus({ ...open, expiresAt: NOW }, undefined, NOW), 'failed');
  });

  test('with a backing order: that order’s outcome', () => {
    assert.equal(invoiceStatus(open, 'pending', NOW), 'pending');
    assert.equal(invoiceStatus(open, 'paid', NOW), 'paid');
    assert.equal(invoiceStatus(open, 'failed', NOW), 'failed');
    assert.equal(invoiceStatus(open, 'rejected', NOW), 'failed');
    assert.equal(invoiceStatus(open, 'canceled', NOW), 'canceled');
    // Past its period but not yet swept: its provider may still report a payment.
    assert.equal(invoiceStatus({ ...open, expiresAt: NOW - 1 }, 'pending', NOW), 'pending');
    assert.equal(invoiceStatus({ ...open, expiresAt: NOW - 1 }, 'paid', NOW), 'paid');
  });

  test('deleted: canceled, whatever else', () => {
    for (const order of [undefined, 'pending', 'failed', 'canceled']) assert.equal(invoiceStatus({ ...open, status: 'canceled' }, order, NOW), 'canceled');
  });
});

describe('pageRefusal', () => {
  test('an open invoice is shown; paid leads to its result', () => {
    assert.equal(pageRefusal(open, undefined, NOW, true), undefined);
    assert.equal(pageRefusal(open, 'pending', NOW, true), undefined);
    assert.equal(pageRefusal(open, 'paid', NOW, true), 'paid');
    assert.equal(pageRefusal({ ...open, expiresAt: NOW - 1 }, 'paid', NOW, true), 'paid');
  });

  test('deleted, cancelled, failed or expired: refused', () => {
    assert.equal(pageRefusal({ ...open, status: 'canceled' }, undefined, NOW, true), 'canceled');
    assert.equal(pageRefusal(open, 'canceled', NOW, true), 'canceled');
    assert.equal(pageRefusal(open, 'failed', NOW, false), 'failed');
    assert.equal(pageRefusal(open, 'rejected', NOW, false), 'failed');
    assert.equal(pageRefusal({ ...open, expiresAt: NOW }, undefined, NOW, false), 'expired');
    assert.equal(pageRefusal({ ...open, expiresAt: NOW }, 'pending', NOW, false), 'expired');
  });

  test('max_open_count refuses an open once reached, never a pick', () => {
    const limited = { ...open, maxOpenCount: 2 };
    assert.equal(pageRefusal({ ...limited, openCount: 1 }, undefined, NOW, true), undefined);
    assert.equal(pageRefusal({ ...limited, openCount: 2 }, undefined, NOW, true), 'max_opens');
    assert.equal(pageRefusal({ ...limited, openCount: 2 }, undefined, NOW, false), undefined);
  });
});

describe('parseWholeNumber and parseFlag', () => {
  test('whole numbers as JSON numbers or digit strings, within bounds', () => {
    assert.equal(parseWholeNumber(90, 1, 100), 90);
    assert.equal(parseWholeNumber('90', 1, 100), 90);
    for (const bad of [0, 101, -1, 1.5, '1.0', '1e2', ' 9', '', 'ten', null, true, '9999999999']) assert.equal(parseWholeNumber(bad, 1, 100), undefined, String(bad));
  });

  test('flags as JSON booleans or the text a form carries', () => {
    for (const yes of [true, 'true', '1', 1]) assert.equal(parseFlag(yes), true);
    for (const no of [false, 'false', '0', 0]) assert.equal(parseFlag(no), false);
    for (const bad of ['yes', 'TRUE', 2, null, '']) assert.equal(parseFlag(bad), undefined, String(bad));
  });
});
