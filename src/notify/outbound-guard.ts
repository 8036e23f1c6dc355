import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * The SSRF guard of requests the gateway makes to URLs a merchant chose (callback_url,
 * later invoices' notify_url): they must never reach the gateway's own host, its private
 * network or a cloud metadata service. Two checks: the URL's literal host when it is
 * given (a quick, clear refusal at create time), and every address a host name resolves
 * to, at connect time, so a name that later points somewhere private (DNS rebinding) is
 * refused too. An operator's allow-list (OUTBOUND_ALLOW_CIDRS) lets chosen networks through.
 */

type Family = 'ipv4' | 'ipv6';

// [network, prefix length, why it is refused]. Order matters only for the reason shown.
const FORBIDDEN_IPV4: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared address space (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (cloud metadata)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];

const FORBIDDEN_IPV6: ReadonlyArray<readonly [string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard-only'],
  ['2001::', 32, 'Teredo'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique local'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];

function rangeLists(ranges: ReadonlyArray<readonly [string, number, string]>, family: Family) {
  return ranges.map(([network, prefix, reason]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, family);
    return { list, reason };
  });
}

const IPV4_RANGES = rangeLists(FORBIDDEN_IPV4, 'ipv4');
const IPV6_RANGES = rangeLists(FORBIDDEN_IPV6, 'ipv6');
const GLOBAL_UNICAST = rangeLists([['2000::', 3, '']], 'ipv6')[0].list;

/**
 * Why the gateway must not connect to `address` (an IPv4 or IPv6 address in any textual
 * form Node accepts), or undefined when it may. Pure: no allow-list, no resolution.
 * IPv6 forms that carry an IPv4 address (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are
 * judged by that IPv4 address; IPv6 outside global unicast (2000::/3) is refused.
 */
export function forbiddenAddressReason(address: string): string | undefined {
  const text = stripZone(address);
  const family = isIP(text);
  if (family === 4) return IPV4_RANGES.find((r) => r.list.check(text, 'ipv4'))?.reason;
  if (family !== 6) return 'not an IP address';
  const listed = IPV6_RANGES.find((r) => r.list.check(text, 'ipv6'));
  if (listed) return listed.reason;
  const embedded = embeddedIpv4(ipv6Bytes(text));
  if (embedded) {
    const reason = forbiddenAddressReason(embedded.ipv4);
    return reason === undefined ? undefined : `${embedded.form} ${embedded.ipv4}: ${reason}`;
  }
  if (!GLOBAL_UNICAST.check(text, 'ipv6')) return 'reserved';
  return undefined;
}

function stripZone(address: string): string {
  const zone = address.indexOf('%');
  return zone === -1 ? address : address.slice(0, zone);
}

/** The 16 bytes of an IPv6 address already validated by isIP. */
function ipv6Bytes(text: string): number[] {
  let groups: number[] = [];
  let body = text;
  let tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.indexOf('.', lastColon) !== -1) {
    tail = body.slice(lastColon + 1).split('.').map(Number);
    body = body.slice(0, lastColon + 1) + '0:0';
  }
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const gap = body.indexOf('::');
  if (gap === -1) groups = parse(body);
  else {
    const left = parse(body.slice(0, gap));
    const right = parse(body.slice(gap + 2));
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  const bytes = groups.flatMap((g) => [g >> 8, g & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

const dotted = (b: number[]) => b.join('.');
const zeros = (b: number[]) => b.every((x) => x === 0);

/** The IPv4 address an IPv6 address stands for, when it is one of the forms that carry one. */
function embeddedIpv4(bytes: number[]): { form: string; ipv4: string } | undefined {
  const first10 = bytes.slice(0, 10);
  if (zeros(first10) && bytes[10] === 0xff && bytes[11] === 0xff) return { form: 'IPv4-mapped', ipv4: dotted(bytes.slice(12)) };
  if (zeros(bytes.slice(0, 12))) return { form: 'IPv4-compatible', ipv4: dotted(bytes.slice(12)) };
  // 64:ff9b::/96
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(bytes.slice(4, 12))) {
    return { form: 'NAT64', ipv4: dotted(bytes.slice(12)) };
  }
  // 2002::/16: the IPv4 address is bits 16–47.
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return { form: '6to4', ipv4: dotted(bytes.slice(2, 6)) };
  return undefined;
}

/** Resolves a host name to every address it has (the default is dns.lookup with `all: true`). */
export type Resolver = (hostname: string) => Promise<readonly LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) => (error ? reject(error) : resolve(addresses))));

/** A connection the guard refused; its message is what the delivery attempt records. */
export class ForbiddenAddressError extends Error {
  readonly code = 'EFORBIDDENADDRESS';
  constructor(message: string) {
    super(message);
    this.name = 'ForbiddenAddressError';
  }
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

export interface OutboundGuardOptions {
  /** CIDRs let through although forbidden (config.outboundAllowCidrs, already validated). */
  allowCidrs?: readonly string[];
  resolve?: Resolver;
}

/** The guard with an operator's allow-list and a resolver; see the module comment. */
export class OutboundGuard {
  readonly #allowed = new BlockList();
  readonly #resolve: Resolver;

  constructor(options: OutboundGuardOptions = {}) {
    for (const cidr of options.allowCidrs ?? []) {
      const [network, prefix] = cidr.split('/') as [string, string | undefined];
      const family = isIP(network) === 6 ? 'ipv6' : 'ipv4';
      this.#allowed.addSubnet(network, prefix === undefined ? (family === 'ipv6' ? 128 : 32) : Number(prefix), family);
    }
    this.#resolve = options.resolve ?? systemResolver;
  }

  /** `forbidden address 127.0.0.1 (loopback)`, or undefined when the gateway may connect to `address`. */
  refusal(address: string): string | undefined {
    const text = stripZone(address);
    const family = isIP(text);
    if (family !== 0 && this.#allowed.check(text, family === 6 ? 'ipv6' : 'ipv4')) return undefined;
    const reason = forbiddenAddressReason(text);
    return reason === undefined ? undefined : `forbidden address ${address} (${reason})`;
  }

  /**
   * The create-time check of a merchant's URL: its literal host only (an IP address, or
   * `localhost` and its subdomains). Other host names pass here; they are checked when a
   * connection is made. Undefined when the URL may be kept.
   */
  urlRefusal(url: string): string | undefined {
    let host: string;
    try {
      host = new URL(url).hostname;
    } catch {
      return 'not a URL';
    }
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    if (isIP(host) !== 0) return this.refusal(host);
    const name = host.toLowerCase().replace(/\.+$/, '');
    if (name === 'localhost' || name.endsWith('.localhost')) return `forbidden host ${host} (loopback)`;
    return undefined;
  }

  /**
   * A `lookup` for node:net/http/https: resolves through the guard's resolver and refuses
   * the connection when any address is forbidden (a merchant's public host has no private
   * address in its DNS), so the socket never connects. Node does not call it for an IP
   * literal: check those with `refusal` first.
   */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    this.#resolve(hostname).then(
      (addresses) => {
        if (addresses.length === 0) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '');
        for (const { address } of addresses) {
          const refused = this.refusal(address);
          if (refused) return callback(new ForbiddenAddressError(`${refused} for ${hostname}`), '');
        }
        const wanted = options.family === 4 || options.family === 'IPv4' ? 4 : options.family === 6 || options.family === 'IPv6' ? 6 : 0;
        const usable = wanted === 0 ? [...addresses] : addresses.filter((a) => a.family === wanted);
        if (usable.length === 0) return callback(Object.assign(new Error(`no IPv${wanted} address for ${hostname}`), { code: 'ENOTFOUND' }), '');
        if (options.all) callback(null, usable);
        else callback(null, usable[0].address, usable[0].family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

const guards = new WeakMap<readonly string[], OutboundGuard>();

/**
 * The create-time check against configuration: the reason `url` is refused, or undefined.
 * One guard per allow-list (the configuration is frozen, so the list's identity is stable).
 */
export function outboundUrlRefusal(config: { readonly outboundAllowCidrs: readonly string[] }, url: string): string | undefined {
  let guard = guards.get(config.outboundAllowCidrs);
  if (!guard) guards.set(config.outboundAllowCidrs, (guard = new OutboundGuard({ allowCidrs: config.outboundAllowCidrs })));
  return guard.urlRefusal(url);
}
