import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseRate } from './domain/fx.js';
import { isCurrency } from './domain/money.js';
import { parseUtcOffset } from './domain/time.js';

/**
 * Configuration, parsed once from the environment against one schema and frozen.
 * No other module reads process.env. A bad value stops start-up with a message naming
 * the variable.
 */
export interface Config {
  /** `production` when NODE_ENV=production: the sandbox is off unless asked for, and start-up refuses unsafe settings. */
  readonly mode: 'production' | 'development';
  readonly port: number;
  readonly host: string;
  /** Absolute public base URL, without a trailing slash: host_url and QR links start with it. */
  readonly publicUrl: string;
  readonly databaseUrl: string;
  /** PostgreSQL connection pool size per process. */
  readonly databasePoolSize: number;
  /** Gateway processes sharing the port (`serve`; more than one needs PostgreSQL). */
  readonly processes: number;
  /**
   * SECRET_KEY as given (64 hex chars or base64 of 32 bytes), or read from SECRET_KEY_FILE;
   * undefined: on SQLite, read or create `secret.key` beside the database file.
   */
  readonly secretKey: string | undefined;
  /** SECRET_KEY_PREVIOUS: a key that still opens secrets during a rotation (never used to seal). */
  readonly secretKeyPrevious: string | undefined;
  /** The built-in sandbox provider: on by default outside production, off in production unless SANDBOX=on. */
  readonly sandbox: boolean;
  /** PUBLIC_URL_ALLOW_HTTP: production accepts an http PUBLIC_URL (a private network, a staging box). */
  readonly publicUrlAllowHttp: boolean;
  /**
   * TRUST_PROXY: the proxies (addresses or CIDRs) whose X-Forwarded-For names the client;
   * false: the client is the socket's peer.
   */
  readonly trustProxy: string | false;
  /** Outgoing requests to merchant URLs refuse private and local addresses (on in production; OUTBOUND_GUARD). */
  readonly outboundGuard: boolean;
  /** OUTBOUND_ALLOW_CIDRS: addresses the guard lets through anyway (an operator's own network). */
  readonly outboundAllowCidrs: readonly string[];
  /** The payment page's live-status streams open at once for one order (PAY_STREAMS_PER_ORDER). */
  readonly payStreamsPerOrder: number;
  /** …and from one client address (PAY_STREAMS_PER_ADDRESS). */
  readonly payStreamsPerAddress: number;
  /** A live-status stream is closed after this many seconds; the page reconnects (PAY_STREAM_MAX_SECONDS). */
  readonly payStreamMaxSeconds: number;
  /** `is_block=1` queries one user_id may hold waiting at once, per process (LONG_POLLS_PER_USER). */
  readonly longPollsPerUser: number;
  /** Failed authentications one client address may make per window before it is answered 429. */
  readonly authFailuresPerAddress: number;
  /** Failed authentications naming one user_id per window before further failures are answered 429. */
  readonly authFailuresPerUser: number;
  readonly authFailureWindowSeconds: number;
  /** How long an address over its limit is refused. */
  readonly authBlockSeconds: number;
  /** The longest wait between two delivery attempts of a callback (the backoff's cap; Latipay promises 30 s). */
  readonly notifyRetrySeconds: number;
  /** Give up delivering a callback after this many seconds; 0 = never (Latipay's promise). */
  readonly notifyGiveUpSeconds: number;
  readonly notifyConcurrency: number;
  readonly notifyTimeoutSeconds: number;
  /** Delivered callbacks and their attempts are deleted this many days after delivery; 0 = kept forever. */
  readonly notifyRetentionDays: number;
  /** An Idempotency-Key is remembered this many hours. */
  readonly idempotencyKeyHours: number;
  readonly longPollSeconds: number;
  /** How long a customer has to pay a pending order (and how long its nonce lives). */
  readonly orderTtlSeconds: number;
  /**
   * The same for a PayID order (PAYID_TTL_SECONDS): the payer sends a bank transfer to the
   * PayID from their own bank, which takes longer than scanning a QR; at expiry the order fails.
   */
  readonly payidTtlSeconds: number;
  /**
   * Orders pending with a real provider this long are asked about (a lost notification is
   * found); refunds in flight this long are asked again; 0 = only at expiry.
   */
  readonly reconcileAfterSeconds: number;
  /** How often each instance looks for pending orders past their payment window (they become `failed`). */
  readonly expirySweepSeconds: number;
  /** How long the sandbox's pending barcode payments (pay codes ending in 7 or 8) wait before they settle. */
  readonly sandboxBarcodePendingMs: number;
  /** A refund repeating an earlier one's order, amount and reference within this many seconds answers 562; 0 = never. */
  readonly refundDuplicateWindowSeconds: number;
  /** Minutes east of UTC for wire times (`pay_time`), UTC+08:00 by default. */
  readonly timeZoneOffsetMinutes: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly bodyLimitBytes: number;
  /** LOG_REQUESTS: one log line per request (method, route, status, duration, request id, client address). */
  readonly logRequests: boolean;
  /** METRICS: Prometheus metrics at `GET /metrics`. */
  readonly metrics: boolean;
  /** METRICS_TOKEN: when set, /metrics asks for `Authorization: Bearer <token>`. */
  readonly metricsToken: string | undefined;
  /**
   * METRICS_PORT: serve /metrics (and /healthz) on a listener of their own at HOST:METRICS_PORT
   * instead of on the API's port; it is also how a `worker` process, which has no API, is scraped.
   * undefined: on the API's port.
   */
  readonly metricsPort: number | undefined;
  /** API_DOCS: the OpenAPI document at /openapi.json and its page at /docs. */
  readonly apiDocs: boolean;
  /** FX rates to seed (`BASE:QUOTE` → decimal string), from FX_RATES or FX_RATES_FILE; undefined: none given. */
  readonly fxRates: Readonly<Record<string, string>> | undefined;
  /** BRAND_NAME: the operator's name the customer pages show. */
  readonly brandName: string;
  /** BRAND_COLOR: the pages' accent, lowercase `#rrggbb`. */
  readonly brandColor: string;
  /** BRAND_LOGO_FILE, read and checked at start: served at /brand/logo; undefined: no logo. */
  readonly brandLogo: BrandLogo | undefined;
}

export interface BrandLogo {
  readonly contentType: 'image/png' | 'image/svg+xml';
  readonly bytes: Buffer;
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function readInt(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function readBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(name, `must be on/off (true/false, 1/0), got ${JSON.stringify(raw)}`);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env = process.env): Config {
  const mode = env.NODE_ENV?.trim() === 'production' ? 'production' : 'development';
  const production = mode === 'production';
  const port = readInt(env, 'PORT', 8080, 0, 65535);
  const host = env.HOST?.trim() || '0.0.0.0';

  let publicUrl = env.PUBLIC_URL?.trim() || `http://localhost:${port}`;
  try {
    const url = new URL(publicUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('protocol');
    if (url.search || url.hash || /[?#]/.test(publicUrl)) throw new Error('query');
  } catch {
    throw new ConfigError('PUBLIC_URL', `must be an absolute http(s) URL without query, got ${JSON.stringify(publicUrl)}`);
  }
  publicUrl = publicUrl.replace(/\/+$/, '');

  const databaseUrl = env.DATABASE_URL?.trim() || 'sqlite:./data/latipay.db';
  if (!/^(sqlite:.+|postgres(ql)?:\/\/.+)$/.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be sqlite:PATH or postgres://…');
  }

  const secretKey = readSecretKey(env);
  const secretKeyPrevious = env.SECRET_KEY_PREVIOUS?.trim() || undefined;
  if (secretKeyPrevious !== undefined && decodeSecretKey(secretKeyPrevious) === undefined) {
    throw new ConfigError('SECRET_KEY_PREVIOUS', 'must be 64 hex characters or the base64 of 32 bytes');
  }
  const publicUrlAllowHttp = readBool(env, 'PUBLIC_URL_ALLOW_HTTP', false);
  if (production) {
    if (secretKey === undefined) {
      throw new ConfigError('SECRET_KEY', 'is required in production (NODE_ENV=production); generate one with `openssl rand -hex 32`');
    }
    if (!publicUrl.startsWith('https://') && !publicUrlAllowHttp) {
      throw new ConfigError(
        'PUBLIC_URL',
        `must be https in production (customers open it), got ${JSON.stringify(publicUrl)}; set PUBLIC_URL_ALLOW_HTTP=on only for a gateway no customer reaches over the internet`,
      );
    }
  }
  if (secretKey === undefined && !databaseUrl.startsWith('sqlite:')) {
    throw new ConfigError(
      'SECRET_KEY',
      'is required with PostgreSQL (a key file is kept only beside a SQLite database); generate one with `openssl rand -hex 32` and give it to every process',
    );
  }

  const offsetText = env.TIMEZONE_OFFSET?.trim() || '+08:00';
  const timeZoneOffsetMinutes = parseUtcOffset(offsetText);
  if (timeZoneOffsetMinutes === undefined) throw new ConfigError('TIMEZONE_OFFSET', `must look like +08:00, got ${JSON.stringify(offsetText)}`);

  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  const sandbox = readBool(env, 'SANDBOX', !production);
  const metricsToken = readMetricsToken(env);
  const metricsPort = env.METRICS_PORT?.trim() ? readInt(env, 'METRICS_PORT', 0, 1, 65535) : undefined;
  if (metricsPort !== undefined && metricsPort === port) {
    throw new ConfigError('METRICS_PORT', `must differ from PORT (${port}); leave it unset to serve /metrics on the API's port`);
  }
  const outboundAllowCidrs = readCidrs(env, 'OUTBOUND_ALLOW_CIDRS');
  const trustProxy = readTrustProxy(env);

  return Object.freeze({
    mode,
    port,
    host,
    publicUrl,
    databaseUrl,
    databasePoolSize: readInt(env, 'DATABASE_POOL_SIZE', 10, 1, 1_000),
    processes: readInt(env, 'PROCESSES', 1, 1, 64),
    secretKey,
    secretKeyPrevious,
    sandbox,
    publicUrlAllowHttp,
    trustProxy,
    outboundGuard: production || readBool(env, 'OUTBOUND_GUARD', false),
    outboundAllowCidrs,
    payStreamsPerOrder: readInt(env, 'PAY_STREAMS_PER_ORDER', 4, 1, 1_000),
    payStreamsPerAddress: readInt(env, 'PAY_STREAMS_PER_ADDRESS', 32, 1, 100_000),
    payStreamMaxSeconds: readInt(env, 'PAY_STREAM_MAX_SECONDS', 300, 10, 7_200),
    longPollsPerUser: readInt(env, 'LONG_POLLS_PER_USER', 5_000, 1, 1_000_000),
    authFailuresPerAddress: readInt(env, 'AUTH_FAILURES_PER_ADDRESS', 30, 1, 1_000_000),
    authFailuresPerUser: readInt(env, 'AUTH_FAILURES_PER_USER', 100, 1, 1_000_000),
    authFailureWindowSeconds: readInt(env, 'AUTH_FAILURE_WINDOW_SECONDS', 60, 1, 86_400),
    authBlockSeconds: readInt(env, 'AUTH_BLOCK_SECONDS', 300, 1, 86_400),
    notifyRetrySeconds: readInt(env, 'NOTIFY_RETRY_SECONDS', 30, 1, 86_400),
    notifyGiveUpSeconds: readInt(env, 'NOTIFY_GIVE_UP_SECONDS', 0, 0, 365 * 86_400),
    notifyConcurrency: readInt(env, 'NOTIFY_CONCURRENCY', 128, 1, 10_000),
    notifyTimeoutSeconds: readInt(env, 'NOTIFY_TIMEOUT_SECONDS', 10, 1, 300),
    notifyRetentionDays: readInt(env, 'NOTIFY_RETENTION_DAYS', 30, 0, 3_650),
    idempotencyKeyHours: readInt(env, 'IDEMPOTENCY_KEY_HOURS', 24, 1, 24 * 365),
    longPollSeconds: readInt(env, 'LONG_POLL_SECONDS', 180, 1, 3_600),
    orderTtlSeconds: readInt(env, 'ORDER_TTL_SECONDS', 7_200, 60, 30 * 86_400),
    payidTtlSeconds: readInt(env, 'PAYID_TTL_SECONDS', 86_400, 60, 30 * 86_400),
    expirySweepSeconds: readInt(env, 'EXPIRY_SWEEP_SECONDS', 30, 1, 3_600),
    reconcileAfterSeconds: readInt(env, 'RECONCILE_AFTER_SECONDS', 120, 0, 86_400),
    sandboxBarcodePendingMs: readInt(env, 'SANDBOX_BARCODE_PENDING_MS', 3_000, 0, 600_000),
    refundDuplicateWindowSeconds: readInt(env, 'REFUND_DUPLICATE_WINDOW_SECONDS', 60, 0, 30 * 86_400),
    timeZoneOffsetMinutes,
    logLevel,
    bodyLimitBytes: 64 * 1024,
    logRequests: readBool(env, 'LOG_REQUESTS', false),
    metrics: readBool(env, 'METRICS', true),
    metricsToken,
    metricsPort,
    apiDocs: readBool(env, 'API_DOCS', true),
    fxRates: readFxRates(env),
    ...readBrand(env),
  });
}

/** SECRET_KEY, or the contents of the file SECRET_KEY_FILE names (a container secret); checked. */
function readSecretKey(env: Env): string | undefined {
  const inline = env.SECRET_KEY?.trim() || undefined;
  const file = env.SECRET_KEY_FILE?.trim() || undefined;
  if (inline !== undefined && file !== undefined) throw new ConfigError('SECRET_KEY_FILE', 'give SECRET_KEY or SECRET_KEY_FILE, not both');
  let key = inline;
  if (file !== undefined) {
    try {
      key = readFileSync(file, 'utf8').trim();
    } catch (error) {
      throw new ConfigError('SECRET_KEY_FILE', `cannot read ${file}: ${(error as Error).message}`);
    }
  }
  if (key !== undefined && decodeSecretKey(key) === undefined) {
    throw new ConfigError(file !== undefined ? 'SECRET_KEY_FILE' : 'SECRET_KEY', 'must be 64 hex characters or the base64 of 32 bytes');
  }
  return key;
}

/** METRICS_TOKEN: a bearer token (RFC 6750 characters), long enough not to be guessed. */
function readMetricsToken(env: Env): string | undefined {
  const token = env.METRICS_TOKEN?.trim() || undefined;
  if (token === undefined) return undefined;
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token)) {
    throw new ConfigError('METRICS_TOKEN', 'must be a bearer token: letters, digits and -._~+/ (generate one with `openssl rand -hex 32`)');
  }
  if (token.length < 16) throw new ConfigError('METRICS_TOKEN', `must be at least 16 characters, got ${token.length}`);
  return token;
}

/** A comma-separated list of IPv4/IPv6 addresses or CIDRs. */
function readCidrs(env: Env, name: string): string[] {
  const raw = env[name]?.trim();
  if (!raw) return [];
  const out: string[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [address, bits, extra] = item.split('/');
    const family = isIP(address ?? '');
    const max = family === 6 ? 128 : 32;
    if (family === 0 || extra !== undefined || (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > max))) {
      throw new ConfigError(name, `${JSON.stringify(item)} is not an address or CIDR such as 10.0.0.0/8 or fd00::/8`);
    }
    out.push(bits === undefined ? `${address}/${max}` : item);
  }
  return out;
}

/** TRUST_PROXY: off (default), or the proxies' addresses/CIDRs (`loopback` and the like as fastify knows them). */
function readTrustProxy(env: Env): string | false {
  const raw = env.TRUST_PROXY?.trim();
  if (!raw || ['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  if (['1', 'true', 'yes', 'on', '*'].includes(raw.toLowerCase())) {
    throw new ConfigError('TRUST_PROXY', 'name the proxies (addresses or CIDRs, e.g. 10.0.0.0/8 or loopback): trusting every sender lets any client choose its own address');
  }
  const named = new Set(['loopback', 'linklocal', 'uniquelocal']);
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (named.has(item)) continue;
    readCidrs({ TRUST_PROXY: item }, 'TRUST_PROXY');
  }
  return raw;
}

/** SECRET_KEY as 32 bytes, or undefined when it is neither 64 hex chars nor base64 of 32 bytes. */
export function decodeSecretKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const buf = Buffer.from(text, 'base64');
    if (buf.length === 32) return buf;
  }
  return undefined;
}

/**
 * FX_RATES=`NZD:CNY=4.6449,AUD:CNY=4.7512`, or FX_RATES_FILE naming a JSON file
 * `{"NZD:CNY": "4.6449"}` (rates as strings, so no float is involved).
 */
function readFxRates(env: Env): Record<string, string> | undefined {
  const inline = env.FX_RATES?.trim();
  const file = env.FX_RATES_FILE?.trim();
  if (!inline && !file) return undefined;
  const rates: Record<string, string> = {};
  const add = (variable: string, pair: string, rate: unknown) => {
    const [base, quote, extra] = pair.split(':');
    if (extra !== undefined || !isCurrency(base ?? '') || !isCurrency(quote ?? '')) {
      throw new ConfigError(variable, `pair ${JSON.stringify(pair)} must look like NZD:CNY (ISO 4217 codes with two decimal places)`);
    }
    const parsed = typeof rate === 'string' ? parseRate(rate) : undefined;
    if (!parsed?.ok) throw new ConfigError(variable, `rate for ${pair} must be a positive decimal string such as "4.6449"`);
    rates[pair] = parsed.text;
  };
  if (file) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError('FX_RATES_FILE', `cannot read ${file} as JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigError('FX_RATES_FILE', 'must hold a JSON object');
    for (const [pair, rate] of Object.entries(parsed)) add('FX_RATES_FILE', pair, rate);
  }
  if (inline) {
    for (const item of inline.split(',')) {
      const [pair, rate] = item.split('=').map((s) => s.trim());
      add('FX_RATES', pair ?? '', rate);
    }
  }
  return rates;
}

export const DEFAULT_BRAND_NAME = 'Latipay Gateway';
export const DEFAULT_BRAND_COLOR = '#0a66c2';
/** The largest logo BRAND_LOGO_FILE may name: it is held in memory and sent with every first page view. */
export const BRAND_LOGO_MAX_BYTES = 256 * 1024;

/** BRAND_NAME, BRAND_COLOR and BRAND_LOGO_FILE: how the customer pages present the operator. */
function readBrand(env: Env): Pick<Config, 'brandName' | 'brandColor' | 'brandLogo'> {
  const brandName = env.BRAND_NAME?.trim() || DEFAULT_BRAND_NAME;
  if (brandName.length > 60 || /[\u0000-\u001f\u007f]/.test(brandName)) {
    throw new ConfigError('BRAND_NAME', 'must be at most 60 characters, without control characters');
  }
  const color = env.BRAND_COLOR?.trim() || DEFAULT_BRAND_COLOR;
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color)?.[1]?.toLowerCase();
  if (hex === undefined) throw new ConfigError('BRAND_COLOR', `must be a hex colour such as #0a66c2 or #06c, got ${JSON.stringify(color)}`);
  const brandColor = '#' + (hex.length === 3 ? [...hex].map((c) => c + c).join('') : hex);
  const file = env.BRAND_LOGO_FILE?.trim() || undefined;
  return { brandName, brandColor, brandLogo: file === undefined ? undefined : readBrandLogo(file) };
}

/**
 * A PNG, or an SVG that can do nothing but draw: the gateway serves it from its own origin,
 * where a script in it would run with the pages' authority if someone opened it directly.
 */
function readBrandLogo(file: string): BrandLogo {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new ConfigError('BRAND_LOGO_FILE', `cannot read ${file}: ${(error as Error).message}`);
  }
  if (bytes.length === 0) throw new ConfigError('BRAND_LOGO_FILE', `${file} is empty`);
  if (bytes.length > BRAND_LOGO_MAX_BYTES) {
    throw new ConfigError('BRAND_LOGO_FILE', `${file} is ${bytes.length} bytes; a logo may have at most ${BRAND_LOGO_MAX_BYTES}`);
  }
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    return { contentType: 'image/png', bytes };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigError('BRAND_LOGO_FILE', `${file} is neither a PNG nor an SVG (UTF-8 text)`);
  }
  // What may come before the root element: a BOM, an XML declaration, comments, a DOCTYPE without an internal subset.
  const prolog = /^\uFEFF?\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>[]*>\s*)?(<!--[\s\S]*?-->\s*)*<svg[\s>]/;
  if (!prolog.test(text)) throw new ConfigError('BRAND_LOGO_FILE', `${file} is neither a PNG nor an SVG whose root element is <svg>`);
  if (!/<svg[^>]*\sxmlns\s*=\s*["']http:\/\/www\.w3\.org\/2000\/svg["']/.test(text)) {
    throw new ConfigError('BRAND_LOGO_FILE', `${file}: the <svg> element needs xmlns="http://www.w3.org/2000/svg" (browsers draw nothing without it)`);
  }
  const active = /<script|<foreignObject|<!ENTITY|\son[a-z]+\s*=|javascript:/i.exec(text);
  if (active) throw new ConfigError('BRAND_LOGO_FILE', `${file} holds ${JSON.stringify(active[0].trim())}: a logo may not script, embed HTML or declare entities`);
  return { contentType: 'image/svg+xml', bytes };
}
