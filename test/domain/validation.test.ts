import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isHttpUrl, isIpAddress } from '../../src/domain/validation.js';

test('isHttpUrl: absolute http(s) URLs only, the same answer however often a URL is asked', () => {
  const cases: Array<[string, boolean]> = [
    ['https://merchant.example/callback', true],
    ['http://127.0.0.1:8080/notify?a=1', true],
    ['ftp://merchant.example/file', false],
    ['javascript:alert(1)', false],
    ['/relative/path', false],
    ['https://', false],
    ['', false],
    [`https://merchant.example/${'a'.repeat(2100)}`, false],
  ];
  // Asked three times each, and more distinct URLs than are remembered in between.
  for (let round = 0; round < 3; round++) {
    for (const [url, expected] of cases) assert.equal(isHttpUrl(url), expected, url);
    for (let i = 0; i < 1_200; i++) assert.equal(isHttpUrl(`https://shop${i}.example/cb`), true);
    for (let i = 0; i < 50; i++) assert.equal(isHttpUrl(`mailto:shop${i}@example.com`), false);
  }
});

test('isIpAddress: IPv4 and IPv6', () => {
  assert.equal(isIpAddress('122.122.122.1'), true);
  assert.equal(isIpAddress('::1'), true);
  assert.equal(isIpAddress('122.122.122'), false);
});
