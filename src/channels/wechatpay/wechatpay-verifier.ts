import { X509Certificate, type KeyObject } from 'node:crypto';
import { answerSigningMessage, PROBE_PREFIX, verifySha256Rsa } from './wechatpay-crypto.js';

/**
 * Who signed a WeChat Pay answer or notification, and whether to believe it
 * (docs/providers/wechatpay-protocol.md §3). `Wechatpay-Serial` names the key: the WeChat Pay
 * public key by its id (`PUB_KEY_ID_…`), or a platform certificate by its serial; both are
 * accepted side by side, which is what a switch from certificates to the public key (or a
 * certificate rotation) needs. A message is believed only when its timestamp is less than
 * five minutes from our clock, it is no signature probe, its key is one we hold, and the
 * SHA256withRSA signature over `timestamp\nnonce\nbody\n` verifies.
 */

/** A WeChat Pay platform certificate: its serial (upper-case hex), public key and end of validity. */
export interface PlatformCertificate {
  readonly serial: string;
  readonly key: KeyObject;
  readonly notAfter: number;
}

/** The `Wechatpay-*` headers of an answer or a notification. */
export interface SignatureHeaders {
  readonly timestamp?: string;
  readonly nonce?: string;
  readonly signature?: string;
  readonly serial?: string;
}

export type Verdict =
  | { readonly ok: true; readonly serial: string }
  | { readonly ok: false; readonly problem: 'unsigned' | 'probe' | 'stale' | 'unknown_key' | 'bad_signature'; readonly reason: string };

/** The SDKs' window: a message 5 minutes or more from our clock is refused. */
export const TOLERANCE_SECONDS = 300;
/** An unknown certificate serial sends for the certificate list at most this often. */
const REFRESH_INTERVAL_MS = 60_000;

/** The `Wechatpay-*` headers from lower-cased header names (node's) or a fetch Headers. */
export function signatureHeadersOf(headers: Readonly<Record<string, string | string[] | undefined>>): SignatureHeaders {
  const one = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? undefined : value;
  };
  return {
    timestamp: one('wechatpay-timestamp'),
    nonce: one('wechatpay-nonce'),
    signature: one('wechatpay-signature'),
    serial: one('wechatpay-serial'),
  };
}

/** The certificates of a PEM file (one or more `CERTIFICATE` blocks). Throws when there is none or one does not parse. */
export function parsePlatformCertificates(pem: string): PlatformCertificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error('no PEM certificate in it');
  return blocks.map((block) => platformCertificateOf(new X509Certificate(block)));
}

export function platformCertificateOf(cert: X509Certificate): PlatformCertificate {
  if (cert.publicKey.asymmetricKeyType !== 'rsa') throw new Error(`certificate ${cert.serialNumber} does not hold an RSA key`);
  return { serial: cert.serialNumber.toUpperCase(), key: cert.publicKey, notAfter: Date.parse(cert.validTo) };
}

/** Checks one message against `keys` (by serial) at `nowMs`. Pure. */
export function verifySignature(headers: SignatureHeaders, body: Buffer | string, keys: ReadonlyMap<string, KeyObject>, nowMs: number): Verdict {
  const { timestamp, nonce, signature, serial } = headers;
  if (!timestamp || !nonce || !signature || !serial) {
    return { ok: false, problem: 'unsigned', reason: 'Wechatpay-Timestamp, -Nonce, -Signature and -Serial are required' };
  }
  if (signature.startsWith(PROBE_PREFIX)) return { ok: false, problem: 'probe', reason: 'a WeChat Pay signature probe (WECHATPAY/SIGNTEST/) never verifies' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, problem: 'stale', reason: 'Wechatpay-Timestamp is not UNIX seconds' };
  const skew = Math.abs(Math.floor(nowMs / 1000) - Number(timestamp));
  if (skew >= TOLERANCE_SECONDS) return { ok: false, problem: 'stale', reason: `Wechatpay-Timestamp is ${skew} s from our clock (less than ${TOLERANCE_SECONDS} s allowed)` };
  const key = keys.get(normalSerial(serial));
  if (!key) return { ok: false, problem: 'unknown_key', reason: `signed with key ${serial}, which this account does not hold` };
  if (!verifySha256Rsa(answerSigningMessage(timestamp, nonce, body), signature, key)) {
    return { ok: false, problem: 'bad_signature', reason: `the signature does not verify with key ${serial}` };
  }
  return { ok: true, serial };
}

/** Public key ids keep their case (`PUB_KEY_ID_…`); certificate serials are hex, compared upper-case. */
function normalSerial(serial: string): string {
  return serial.startsWith('PUB_KEY_ID_') ? serial : serial.toUpperCase();
}

export interface VerifierOptions {
  /** The WeChat Pay public key and its id (`PUB_KEY_ID_…`). */
  readonly publicKey: { readonly id: string; readonly key: KeyObject };
  /** Platform certificates configured for the account; when some are, an unknown serial sends for the current list. */
  readonly certificates: readonly PlatformCertificate[];
  readonly clock: () => number;
}

/**
 * The keys of one account and the rule above. With platform certificates configured, a
 * message signed by a certificate serial it does not know makes it download the list once
 * (at most once a minute) before refusing: WeChat Pay lists a new certificate a day before
 * signing with it, so a rotation needs no operator.
 */
export class WechatpayVerifier {
  readonly #options: VerifierOptions;
  readonly #certificates = new Map<string, PlatformCertificate>();
  #download: (() => Promise<PlatformCertificate[]>) | undefined;
  #refreshing: Promise<void> | undefined;
  #lastRefresh = -Infinity;
  #refreshError: string | undefined;

  constructor(options: VerifierOptions) {
    this.#options = options;
    for (const cert of options.certificates) this.#certificates.set(cert.serial, cert);
  }

  /** How the certificate list is downloaded (the account's HTTP client); without it, unknown serials are refused at once. */
  setCertificateDownload(download: () => Promise<PlatformCertificate[]>): void {
    this.#download = download;
  }

  /** The keys believed now: the public key and the certificates still valid. */
  keys(extra: readonly PlatformCertificate[] = []): Map<string, KeyObject> {
    const now = this.#options.clock();
    const keys = new Map<string, KeyObject>([[this.#options.publicKey.id, this.#options.publicKey.key]]);
    for (const cert of [...this.#certificates.values(), ...extra]) if (cert.notAfter > now) keys.set(cert.serial, cert.key);
    return keys;
  }

  get certificateSerials(): string[] {
    return [...this.#certificates.keys()];
  }

  async verify(headers: SignatureHeaders, body: Buffer | string): Promise<Verdict> {
    const verdict = verifySignature(headers, body, this.keys(), this.#options.clock());
    if (verdict.ok || verdict.problem !== 'unknown_key' || !this.#mayRefresh(headers.serial as string)) return verdict;
    await this.#refresh();
    const again = verifySignature(headers, body, this.keys(), this.#options.clock());
    if (again.ok || !this.#refreshError) return again;
    return { ...again, reason: `${again.reason} (the certificate list could not be downloaded: ${this.#refreshError})` };
  }

  /** Verifies the certificate list's own answer: with the keys held and those it brings (which decrypted with the APIv3 key, so came from WeChat Pay). */
  verifyWith(headers: SignatureHeaders, body: Buffer | string, brought: readonly PlatformCertificate[]): Verdict {
    return verifySignature(headers, body, this.keys(brought), this.#options.clock());
  }

  #mayRefresh(serial: string): boolean {
    return this.#download !== undefined && this.#certificates.size > 0 && !serial.startsWith('PUB_KEY_ID_');
  }

  #refresh(): Promise<void> {
    if (this.#refreshing) return this.#refreshing;
    if (this.#options.clock() - this.#lastRefresh < REFRESH_INTERVAL_MS) return Promise.resolve();
    this.#lastRefresh = this.#options.clock();
    const download = this.#download as () => Promise<PlatformCertificate[]>;
    this.#refreshing = download()
      .then((certificates) => {
        for (const cert of certificates) this.#certificates.set(cert.serial, cert);
        this.#refreshError = undefined;
      })
      // A failed download leaves the keys as they were: the message is refused (saying why), and WeChat Pay sends it again.
      .catch((error: unknown) => {
        this.#refreshError = error instanceof Error ? error.message : String(error);
      })
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }
}
