import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { dayOf, formatDay, formatUtcOffset, parseDay, startOfDay } from '../../src/domain/calendar-day.js';

const PLUS_EIGHT = 8 * 60;

describe('calendar days in a fixed offset', () => {
  test('16:00 UTC is already the next day in UTC+08:00, not in UTC', () => {
    const t = Date.UTC(2026, 10, 30, 16, 0, 0);
    assert.equal(formatDay(dayOf(t, PLUS_EIGHT)), '2026-12-01');
    assert.equal(formatDay(dayOf(t, 0)), '2026-11-30');
    assert.equal(formatDay(dayOf(t - 1, PLUS_EIGHT)), '2026-11-30');
  });

  test('a negative offset keeps an early UTC morning on the day before', () => {
    assert.equal(formatDay(dayOf(Date.UTC(2027, 0, 1, 3, 0, 0), -5 * 60 - 30)), '2026-12-31');
  });

  test('a day starts at midnight of its offset, and every instant of it falls on it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: -14 * 60, max: 14 * 60 }), fc.integer({ min: 0, max: 86_399_999 }), (day, offset, into) => {
        const start = startOfDay(day, offset);
        assert.equal(dayOf(start + into, offset), day);
        assert.equal(dayOf(start - 1, offset), day - 1);
      }),
    );
  });

  test('parseDay reads what formatDay writes, and refuses dates that do not exist', () => {
    assert.equal(parseDay('2026-12-01'), dayOf(Date.UTC(2026, 11, 1), 0));
    for (const bad of ['2026-02-30', '2026-13-01', '2026-1-01', '26-01-01', '', '2026-01-01T00:00', '1969-12-31']) assert.equal(parseDay(bad), undefined, bad);
    fc.assert(fc.property(fc.integer({ min: 0, max: 2_900_000 }), (day) => assert.equal(parseDay(formatDay(day)), day)));
  });

  test('formatUtcOffset names the offset a page counts its days in', () => {
    assert.equal(formatUtcOffset(PLUS_EIGHT), 'UTC+08:00');
    assert.equal(formatUtcOffset(-330), 'UTC-05:30');
    assert.equal(formatUtcOffset(0), 'UTC');
  });
});
