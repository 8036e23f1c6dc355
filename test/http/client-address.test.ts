import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressKey } from '../../src/http/client-address.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';

/**
 * The client's address (what the per-address limits count) is the socket's peer unless the
 * peer is a proxy TRUST_PROXY names; only then does X-Forwarded-For name the client.
 */

/** Adds a route that answers the address the gateway sees (before the app is ready). */
function whoAmI(gw: TestGateway): void {
  gw.app.get('/test/who-am-i', async (request) => ({ ip: request.ip }));
}

async function seenAddress(gw: TestGateway, remoteAddress: string, forwardedFor?: string): Promise<string> {
  const response = await gw.app.inject({
    method: 'GET',
    url: '/test/who-am-i',
    remoteAddress,
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  });
  assert.equal(response.statusCode, 200, response.body);
  return (response.json() as { ip: string }).ip;
}

test('by default X-Forwarded-For is ignored: the client is the socket peer', async () => {
  const gw = await createTestGateway();
  try {
    whoAmI(gw);
    assert.equal(gw.config.trustProxy, false);
    assert.equal(await seenAddress(gw, '203.0.113.7', '198.51.100.1'), '203.0.113.7');
    assert.equal(await seenAddress(gw, '127.0.0.1', '198.51.100.1'), '127.0.0.1');
  } finally {
    await gw.close();
  }
});

test('with TRUST_PROXY, X-Forwarded-For is honoured from a listed proxy only', async () => {
  const gw = await createTestGateway({ env: { TRUST_PROXY: '10.0.0.0/8,loopback' } });
  try {
    whoAmI(gw);
    assert.equal(await seenAddress(gw, '10.1.2.3', '198.51.100.1'), '198.51.100.1');
    assert.equal(await seenAddress(gw, '127.0.0.1', '198.51.100.2'), '198.51.100.2');
    // A client that is not a listed proxy cannot choose its address.
    assert.equal(await seenAddress(gw, '203.0.113.7', '198.51.100.1'), '203.0.113.7');
    // Through a chain, the first address that is not a trusted proxy is the client.
    assert.equal(await seenAddress(gw, '10.1.2.3', '198.51.100.9, 10.4.5.6'), '198.51.100.9');
    assert.equal(await seenAddress(gw, '10.1.2.3', '1.2.3.4, 198.51.100.9'), '198.51.100.9', 'a spoofed hop before an untrusted one is ignored');
  } finally {
    await gw.close();
  }
});

test('per-address limits count an IPv4 address alone and an IPv6 address by its /64', () => {
  assert.equal(addressKey('203.0.113.7'), '203.0.113.7');
  assert.equal(addressKey('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:0db8:0001:0002::1'), '2001:db8:1:2::/64');
  assert.equal(addressKey('2001:DB8:1:2::2'), addressKey('2001:db8:1:2:ffff::9'), 'one /64, one key');
  assert.notEqual(addressKey('2001:db8:1:2::1'), addressKey('2001:db8:1:3::1'));
  assert.equal(addressKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(addressKey('::1'), '0:0:0:0::/64');
  assert.equal(addressKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
});
