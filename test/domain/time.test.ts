import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatWireTime, parseUtcOffset, parseWireTime } from '../../src/domain/time.js';

const PLUS_EIGHT = 8 * 60;

describe('formatWireTime', () => {
  test('epoch 0 is 08:00 on 1 January 1970 in UTC+08:00', () => {
    assert.equal(formatWireTime(0, PLUS_EIGHT), '1970-01-01 08:00:00');
  });

  test('the offset can move the date into the next day', () => {
    assert.equal(formatWireTime(Date.UTC(2017, 2, 4, 16, 30, 5), PLUS_EIGHT), '2017-03-05 00:30:05');
  });

  test('the offset can move the date into the next year', () => {
    assert.equal(formatWireTime(Date.UTC(2023, 11, 31, 20, 0, 0), PLUS_EIGHT), '2024-01-01 04:00:00');
  });

  test('a negative offset moves the date back', () => {
    assert.equal(formatWireTime(Date.UTC(2024, 0, 1, 3, 0, 0), -5 * 60 - 30), '2023-12-31 21:30:00');
  });

  test('offset 0 is UTC', () => {
    assert.equal(formatWireTime(Date.UTC(2024, 1, 29, 1, 2, 3), 0), '2024-02-29 01:02:03');
  });

  test('milliseconds are dropped, not rounded', () => {
    assert.equal(formatWireTime(Date.UTC(2024, 5, 9, 9, 9, 9, 999), 0), '2024-06-09 09:09:09');
  });

  test('month, day and time fields are zero-padded to two digits', () => {
    assert.match(formatWireTime(Date.UTC(2024, 0, 2, 3, 4, 5), 0), /^2024-01-02 03:04:05$/);
  });
});

describe('parseUtcOffset', () => {
  const valid: ReadonlyArray<[string, number]> = [
    ['+08:00', 480],
    ['-05:30', -330],
    ['+0800', 480],
    ['+05:45', 345],
    ['+00:00', 0],
    ['+14:00', 840],
    ['-14:00', -840],
    ['UTC', 0],
    ['Z', 0],
  ];
  for (const [text, minutes] of valid) {
    test(`${text} is ${minutes} minutes east of UTC`, () => {
      assert.equal(parseUtcOffset(text), minutes);
    });
  }

  const invalid = ['', '08:00', '+8:00', '+08', '+08:0', '+14:01', '+15:00', '+08:60', '+00:99', 'GMT+8', 'utc', ' +08:00', '+08:00 ', '+08-00'];
  for (const text of invalid) {
    test(`${JSON.stringify(text)} is malformed`, () => {
      assert.equal(parseUtcOffset(text), undefined);
    });
  }
});

describe('parseWireTime', () => {
  test('reads YYYY-MM-DD HH:mm:ss in the offset, and a date alone as its midnight', () => {
    assert.deepEqual(parseWireTime('2017-03-05 00:30:05', PLUS_EIGHT), { ms: Date.UTC(2017, 2, 4, 16, 30, 5), dateOnly: false });
    assert.deepEqual(parseWireTime('2017-03-05', PLUS_EIGHT), { ms: Date.UTC(2017, 2, 4, 16, 0, 0), dateOnly: true });
    assert.deepEqual(parseWireTime('2017-03-05 00:30:05', 0), { ms: Date.UTC(2017, 2, 5, 0, 30, 5), dateOnly: false });
  });

  test('refuses other shapes and dates that do not exist', () => {
    for (const text of ['2017-3-5', '2017/03/05', '2017-02-29', '2016-02-30', '2017-13-01', '2017-03-05 24:00:00', '2017-03-05 10:60:00', '2017-03-05 10:00', '1488644405000', '', ' 2017-03-05']) {
      assert.equal(parseWireTime(text, PLUS_EIGHT), undefined, text);
    }
    assert.ok(parseWireTime('2016-02-29', PLUS_EIGHT), 'a leap day');
  });

  test('reads back what formatWireTime writes, to the second', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800 }), fc.integer({ min: -14 * 60, max: 14 * 60 }), (seconds, offset) => {
        const ms = seconds * 1000;
        assert.deepEqual(parseWireTime(formatWireTime(ms, offset), offset), { ms, dateOnly: false });
      }),
    );
  });
});
