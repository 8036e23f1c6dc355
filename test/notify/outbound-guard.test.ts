import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { forbiddenAddressReason, ForbiddenAddressError, OutboundGuard, outboundUrlRefusal, type Resolver } from '../../src/notify/outbound-guard.js';

// The guard is tested by its decisions only: nothing here opens a connection.

describe('forbiddenAddressReason (which addresses the gateway never connects to)', () => {
  const forbidden: Array<[string, RegExp]> = [
    ['0.0.0.0', /this network/],
    ['0.255.255.255', /this network/],
    ['10.0.0.1', /private/],
    ['10.255.255.255', /private/],
    ['100.64.0.1', /CGNAT/],
    ['100.127.255.255', /CGNAT/],
    ['127.0.0.1', /loopback/],
    ['127.255.255.254', /loopback/],
    ['169.254.169.254', /link-local/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.0.0.8', /IETF/],
    ['192.0.2.1', /documentation/],
    ['192.88.99.1', /6to4 relay/],
    ['192.168.1.1', /private/],
    ['198.18.0.1', /benchmarking/],
    ['198.19.255.255', /benchmarking/],
    ['198.51.100.7', /documentation/],
    ['203.0.113.9', /documentation/],
    ['224.0.0.1', /multicast/],
    ['239.255.255.250', /multicast/],
    ['240.0.0.1', /reserved/],
    ['255.255.255.255', /reserved/],
    ['::', /unspecified/],
    ['::1', /loopback/],
    ['0:0:0:0:0:0:0:1', /loopback/],
    ['::ffff:127.0.0.1', /IPv4-mapped 127\.0\.0\.1: loopback/],
    ['::ffff:7f00:1', /IPv4-mapped 127\.0\.0\.1: loopback/],
    ['::ffff:a9fe:a9fe', /IPv4-mapped 169\.254\.169\.254: link-local/],
    ['::127.0.0.1', /IPv4-compatible 127\.0\.0\.1: loopback/],
    ['::a00:1', /IPv4-compatible 10\.0\.0\.1: private/],
    ['64:ff9b::7f00:1', /NAT64 127\.0\.0\.1: loopback/],
    ['64:ff9b::192.168.0.1', /NAT64 192\.168\.0\.1: private/],
    ['64:ff9b:1::1', /local-use NAT64/],
    ['2002:7f00:1::1', /6to4 127\.0\.0\.1: loopback/],
    ['2002:a9fe:a9fe::', /6to4 169\.254\.169\.254/],
    ['2001::1', /Teredo/],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /Teredo/],
    ['100::1', /discard-only/],
    ['2001:db8::1', /documentation/],
    ['fc00::1', /unique local/],
    ['fd00:ec2::254', /unique local/],
    ['fe80::1', /link-local/],
    ['fe80::1%eth0', /link-local/],
    ['febf:ffff::1', /link-local/],
    ['fec0::1', /site-local/],
    ['ff02::1', /multicast/],
    ['4000::1', /reserved/],
    ['localhost', /not an IP address/],
    ['127.1', /not an IP address/],
  ];
  for (const [address, reason] of forbidden) {
    test(`${address} is refused (${reason.source})`, () => {
      assert.match(forbiddenAddressReason(address) ?? 'allowed', reason);
    });
  }

  // Public addresses, each next to a forbidden range; decided here, never connected to.
  const allowed = [
    '1.1.1.1',
    '8.8.8.8',
    '9.255.255.255',
    '11.0.0.0',
    '100.63.255.255',
    '100.128.0.0',
    '126.255.255.255',
    '128.0.0.0',
    '169.253.255.255',
    '172.15.255.255',
    '172.32.0.0',
    '192.0.1.0',
    '192.0.3.0',
    '192.167.255.255',
    '192.169.0.0',
    '198.17.255.255',
    '198.20.0.0',
    '203.0.112.255',
    '203.0.114.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001::200e',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2001:db9::1',
  ];
  for (const address of allowed) {
    test(`${address} is allowed`, () => {
      assert.equal(forbiddenAddressReason(address), undefined);
    });
  }

  const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
  const hex = (a: number, b: number) => ((a << 8) | b).toString(16);

  test('an IPv6 form carrying an IPv4 address is judged as that IPv4 address', () => {
    fc.assert(
      fc.property(ipv4, ([a, b, c, d]) => {
        const v4 = `${a}.${b}.${c}.${d}`;
        const refused = forbiddenAddressReason(v4) !== undefined;
        for (const form of [`::ffff:${v4}`, `::ffff:${hex(a, b)}:${hex(c, d)}`, `64:ff9b::${hex(a, b)}:${hex(c, d)}`, `2002:${hex(a, b)}:${hex(c, d)}::1`]) {
          assert.equal(forbiddenAddressReason(form) !== undefined, refused, `${form} and ${v4}`);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  test('every address of a forbidden IPv4 range is refused, whatever its host part', () => {
    fc.assert(
      fc.property(fc.nat(0xffffff), (host) => {
        const [b, c, d] = [(host >> 16) & 0xff, (host >> 8) & 0xff, host & 0xff];
        for (const first of [0, 10, 127]) assert.notEqual(forbiddenAddressReason(`${first}.${b}.${c}.${d}`), undefined);
        assert.notEqual(forbiddenAddressReason(`172.${16 + (b & 15)}.${c}.${d}`), undefined);
        assert.notEqual(forbiddenAddressReason(`169.254.${c}.${d}`), undefined);
        assert.notEqual(forbiddenAddressReason(`${224 + (b & 31)}.${b}.${c}.${d}`), undefined);
      }),
    );
  });
});

describe('OutboundGuard.urlRefusal (the create-time check of a URL’s literal host)', () => {
  const guard = new OutboundGuard();
  const refused: Array<[string, RegExp]> = [
    ['http://127.0.0.1/callback', /127\.0\.0\.1 \(loopback\)/],
    ['http://[::1]/callback', /::1 \(loopback\)/],
    ['http://localhost/callback', /localhost \(loopback\)/],
    ['http://LOCALHOST./callback', /loopback/],
    ['http://shop.localhost:3000/callback', /loopback/],
    // WHATWG URL normalises these to 127.0.0.1 before the host is looked at.
    ['http://2130706433/callback', /127\.0\.0\.1/],
    ['http://0x7f000001/callback', /127\.0\.0\.1/],
    ['http://127.1/callback', /127\.0\.0\.1/],
    ['http://0177.0.0.1/callback', /127\.0\.0\.1/],
    ['http://[::ffff:127.0.0.1]/callback', /::ffff:7f00:1 \(IPv4-mapped 127\.0\.0\.1: loopback\)/],
    ['http://127.0.0.1:5432/', /loopback/],
    ['https://10.0.0.1/callback', /private/],
    ['http://169.254.169.254/latest/meta-data/', /link-local/],
    ['http://[fd00:ec2::254]/', /unique local/],
    ['http://100.64.0.1/', /CGNAT/],
    ['http://[fe80::1]/', /link-local/],
    ['http://0.0.0.0/', /this network/],
    ['http://0/', /this network/],
    ['http://user:pass@192.168.0.1:8080/x?y=1', /private/],
    ['not a url', /not a URL/],
  ];
  for (const [url, reason] of refused) {
    test(`${url} is refused`, () => {
      assert.match(guard.urlRefusal(url) ?? 'allowed', reason);
    });
  }

  test('a host name passes (its addresses are checked when connecting), and so does a public literal', () => {
    for (const url of ['https://shop.example/callback', 'http://localhost.shop.example/', 'http://203.0.114.1/cb', 'http://[2606:4700:4700::1111]/cb', 'http://8.8.8.8:8080/']) {
      assert.equal(guard.urlRefusal(url), undefined, url);
    }
  });

  test('the operator’s allow-list lets its networks through, and nothing else', () => {
    const config = { outboundAllowCidrs: ['127.0.0.0/8', '10.1.0.0/16', 'fd00::/8'] as readonly string[] };
    assert.equal(outboundUrlRefusal(config, 'http://127.0.0.1:5000/'), undefined);
    assert.equal(outboundUrlRefusal(config, 'http://[::ffff:127.0.0.1]/'), undefined);
    assert.equal(outboundUrlRefusal(config, 'http://10.1.2.3/'), undefined);
    assert.equal(outboundUrlRefusal(config, 'http://[fd00:ec2::254]/'), undefined);
    assert.match(outboundUrlRefusal(config, 'http://10.2.0.1/') ?? '', /private/);
    assert.match(outboundUrlRefusal(config, 'http://169.254.169.254/') ?? '', /link-local/);
    // Host names are left to the connect-time check, allowed or not.
    assert.match(outboundUrlRefusal(config, 'http://localhost/') ?? '', /loopback/);
    assert.match(outboundUrlRefusal({ outboundAllowCidrs: [] }, 'http://127.0.0.1:5000/') ?? '', /loopback/);
  });
});

describe('OutboundGuard.lookup (the connect-time check of what a host name resolves to)', () => {
  const dns: Record<string, LookupAddress[]> = {
    'loopback.test': [{ address: '127.0.0.1', family: 4 }],
    'private.test': [{ address: '10.0.0.1', family: 4 }],
    'metadata.test': [{ address: 'fd00:ec2::254', family: 6 }],
    'mixed.test': [
      { address: '203.0.114.1', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ],
    'public.test': [
      { address: '203.0.114.1', family: 4 },
      { address: '2606:4700:4700::1111', family: 6 },
    ],
  };
  const asked: string[] = [];
  const resolve: Resolver = async (hostname) => {
    asked.push(hostname);
    const found = dns[hostname];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found;
  };

  function lookup(guard: OutboundGuard, hostname: string, options: { all?: boolean; family?: number } = {}) {
    return new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }>((done) =>
      guard.lookup(hostname, options, (error, address, family) => done({ error, address, family })),
    );
  }

  test('a name resolving to a forbidden address is refused, naming the address and the name', async () => {
    const guard = new OutboundGuard({ resolve });
    for (const [name, reason] of [
      ['loopback.test', /^forbidden address 127\.0\.0\.1 \(loopback\) for loopback\.test$/],
      ['private.test', /10\.0\.0\.1 \(private\)/],
      ['metadata.test', /fd00:ec2::254 \(unique local\)/],
    ] as const) {
      const { error } = await lookup(guard, name, { all: true });
      assert.ok(error instanceof ForbiddenAddressError, name);
      assert.match(error.message, reason);
    }
  });

  test('one forbidden address among public ones is enough to refuse (a rebinding name)', async () => {
    const { error } = await lookup(new OutboundGuard({ resolve }), 'mixed.test');
    assert.ok(error instanceof ForbiddenAddressError);
    assert.match(error.message, /127\.0\.0\.1/);
  });

  test('a public name resolves as dns.lookup would: all addresses, or the first of the family asked for', async () => {
    const guard = new OutboundGuard({ resolve });
    assert.deepEqual(await lookup(guard, 'public.test', { all: true }), { error: null, address: dns['public.test'], family: undefined });
    assert.deepEqual(await lookup(guard, 'public.test'), { error: null, address: '203.0.114.1', family: 4 });
    assert.deepEqual(await lookup(guard, 'public.test', { family: 6 }), { error: null, address: '2606:4700:4700::1111', family: 6 });
    const unknown = await lookup(guard, 'nowhere.test');
    assert.equal(unknown.error?.code, 'ENOTFOUND');
    assert.ok(asked.includes('nowhere.test'), 'the injected resolver is the one asked');
  });

  test('the allow-list lets a resolved address through', async () => {
    const guard = new OutboundGuard({ resolve, allowCidrs: ['127.0.0.0/8'] });
    assert.deepEqual(await lookup(guard, 'loopback.test'), { error: null, address: '127.0.0.1', family: 4 });
    assert.ok((await lookup(guard, 'private.test')).error instanceof ForbiddenAddressError);
  });
});
