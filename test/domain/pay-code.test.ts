import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { maskPayCode, parsePayCode } from '../../src/domain/pay-code.js';

/** The rule of spec §4.9, restated independently of the implementation. */
function expectedWallet(code: string): 'wechat' | 'alipay' | undefined {
  if (!/^[0-9]+$/.test(code)) return undefined;
  const prefix = Number(code.slice(0, 2));
  if (prefix >= 10 && prefix <= 15 && code.length === 18) return 'wechat';
  if (prefix >= 25 && prefix <= 30 && code.length >= 16 && code.length <= 24) return 'alipay';
  return undefined;
}

describe('parsePayCode', () => {
  test('the documentation example is a WeChat code', () => {
    assert.deepEqual(parsePayCode('134588558514585062'), { ok: true, method: 'wechat' });
  });

  test('boundaries of the WeChat and Alipay ranges', () => {
    const cases: Array<[string, 'wechat' | 'alipay' | undefined]> = [
      ['10' + '0'.repeat(16), 'wechat'],
      ['15' + '9'.repeat(16), 'wechat'],
      ['09' + '0'.repeat(16), undefined],
      ['16' + '0'.repeat(16), undefined],
      ['25' + '0'.repeat(14), 'alipay'],
      ['30' + '0'.repeat(22), 'alipay'],
      ['25' + '0'.repeat(13), undefined],
      ['30' + '0'.repeat(23), undefined],
      ['24' + '0'.repeat(16), undefined],
      ['31' + '0'.repeat(16), undefined],
      ['', undefined],
      ['1', undefined],
    ];
    for (const [code, wallet] of cases) {
      const parsed = parsePayCode(code);
      assert.equal(parsed.ok ? parsed.method : undefined, wallet, code);
    }
  });

  test('agrees with the rule on any digit string, and refuses anything that is not digits', () => {
    const code = fc.oneof(
      fc.stringMatching(/^[0-9]{1,30}$/),
      fc.tuple(fc.integer({ min: 0, max: 99 }), fc.integer({ min: 10, max: 26 })).map(([p, n]) => String(p).padStart(2, '0') + '7'.repeat(n)),
      fc.string(),
    );
    fc.assert(
      fc.property(code, (c) => {
        const parsed = parsePayCode(c);
        assert.equal(parsed.ok ? parsed.method : undefined, expectedWallet(c));
        if (!parsed.ok) assert.ok(parsed.reason.length > 0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('maskPayCode', () => {
  test('keeps the first and last four digits only', () => {
    assert.equal(maskPayCode('134588558514585062'), '1345**********5062');
    assert.equal(maskPayCode('12345678'), '********');
  });
});
