// A minimal self-signed X.509 v3 certificate writer on node:crypto alone (node can read and verify
// certificates with X509Certificate but cannot create them). It writes only what a WeChat Pay
// platform certificate needs in a test: serial, issuer/subject names, validity, the RSA public key,
// and a sha256WithRSAEncryption signature. DER is written by hand (X.690).
import crypto from 'node:crypto';

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n >>= 8) bytes.unshift(n & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, content: Buffer): Buffer => tlv(0xa0 + n, content);
const nullValue = (): Buffer => Buffer.from([0x05, 0x00]);

function integer(value: Buffer | number): Buffer {
  let bytes = typeof value === 'number' ? Buffer.from([value]) : value;
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0 && (bytes[start + 1] & 0x80) === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return tlv(0x02, bytes);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [parts[0] * 40 + parts[1]];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [];
    let n = part;
    do {
      chunk.unshift(n & 0x7f);
      n = Math.floor(n / 128);
    } while (n > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i] |= 0x80;
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function utcTime(date: Date): Buffer {
  const pad = (n: number) => String(n).padStart(2, '0');
  const year = date.getUTCFullYear();
  if (year >= 2050) {
    const text = `${year}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
    return tlv(0x18, Buffer.from(text, 'ascii'));
  }
  const text = `${pad(year % 100)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(text, 'ascii'));
}

function name(attributes: Array<[string, string]>): Buffer {
  const OIDS: Record<string, string> = { C: '2.5.4.6', O: '2.5.4.10', OU: '2.5.4.11', CN: '2.5.4.3', L: '2.5.4.7' };
  return sequence(
    ...attributes.map(([key, value]) => {
      // countryName is a PrintableString; the rest UTF8String.
      const text = key === 'C' ? tlv(0x13, Buffer.from(value, 'ascii')) : tlv(0x0c, Buffer.from(value, 'utf8'));
      return set(sequence(oid(OIDS[key]), text));
    }),
  );
}

export interface SelfSignedCertificate {
  pem: string;
  /** Upper-case hex, as X509Certificate.serialNumber and WeChat Pay's serial_no show it. */
  serial: string;
}

/**
 * A self-signed certificate for `keyPair`, with a random 20-byte serial (40 hex digits like WeChat
 * Pay's platform certificate serials), valid from one day ago for `validDays`.
 */
export function createSelfSignedCertificate(
  keyPair: { publicKey: crypto.KeyObject; privateKey: crypto.KeyObject },
  options: { commonName: string; organization?: string; validDays?: number; now?: Date } = { commonName: 'Tenpay.com Root CA' },
): SelfSignedCertificate {
  const serialBytes = crypto.randomBytes(20);
  serialBytes[0] = 0x10 | (serialBytes[0] & 0x6f); // positive, no leading zero nibble
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 24 * 3600 * 1000);
  const notAfter = new Date(now.getTime() + (options.validDays ?? 365 * 5) * 24 * 3600 * 1000);
  const sha256WithRsa = sequence(oid('1.2.840.113549.1.1.11'), nullValue());
  const subject = name([
    ['C', 'CN'],
    ['O', options.organization ?? 'Tenpay.com'],
    ['OU', 'Tenpay.com CA Center'],
    ['CN', options.commonName],
  ]);
  const spki = keyPair.publicKey.export({ type: 'spki', format: 'der' });
  const tbs = sequence(
    explicit(0, integer(2)),
    integer(serialBytes),
    sha256WithRsa,
    subject,
    sequence(utcTime(notBefore), utcTime(notAfter)),
    subject,
    spki,
  );
  const signature = crypto.sign('sha256', tbs, keyPair.privateKey);
  const der = sequence(tbs, sha256WithRsa, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const body = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  const pem = `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
  return { pem, serial: serialBytes.toString('hex').toUpperCase() };
}
