import { readFileSync } from 'node:fs';
import { parseRate } from './domain/fx.js';
import { parseUtcOffset } from './domain/time.js';

/**
 * Configuration, parsed once from the environment against one schema and frozen.
 * No other module reads process.env. A bad value stops start-up with a message naming
 * the variable.
 */
export interface Config {
  readonly port: number;
  readonly host: string;
  /** Absolute public base URL, without a trailing slash: host_url and QR links start with it. */
  readonly publicUrl: string;
  readonly databaseUrl: string;
  /** PostgreSQL connection pool size per process. */
  readonly databasePoolSize: number;
  /** Gateway processes sharing the port (`serve`; more than one needs PostgreSQL). */
  readonly processes: number;
  /** SECRET_KEY as given (64 hex chars or base64 of 32 bytes); undefined: read or create `<data dir>/secret.key`. */
  readonly secretKey: string | undefined;
  readonly sandbox: boolean;
  readonly notifyRetrySeconds: number;
  /** Give up delivering a callback after this many seconds; 0 = never (Latipay's promise). */
  readonly notifyGiveUpSeconds: number;
  readonly notifyConcurrency: number;
  readonly notifyTimeoutSeconds: number;
  readonly longPollSeconds: number;
  /** How long a customer has to pay a pending order (and how long its nonce lives). */
  readonly orderTtlSeconds: number;
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
  /** FX rates to seed (`BASE:QUOTE` → decimal string), from FX_RATES or FX_RATES_FILE; undefined: none given. */
  readonly fxRates: Readonly<Record<string, string>> | undefined;
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

  const secretKey = env.SECRET_KEY?.trim() || undefined;
  if (secretKey !== undefined && decodeSecretKey(secretKey) === undefined) {
    throw new ConfigError('SECRET_KEY', 'must be 64 hex characters or the base64 of 32 bytes');
  }

  const offsetText = env.TIMEZONE_OFFSET?.trim() || '+08:00';
  const timeZoneOffsetMinutes = parseUtcOffset(offsetText);
  if (timeZoneOffsetMinutes === undefined) throw new ConfigError('TIMEZONE_OFFSET', `must look like +08:00, got ${JSON.stringify(offsetText)}`);

  const logLevel = (env.LOG_LEVEL?.trim() || 'info') as Config['logLevel'];
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);

  return Object.freeze({
    port,
    host,
    publicUrl,
    databaseUrl,
    databasePoolSize: readInt(env, 'DATABASE_POOL_SIZE', 10, 1, 1_000),
    processes: readInt(env, 'PROCESSES', 1, 1, 64),
    secretKey,
    sandbox: readBool(env, 'SANDBOX', true),
    notifyRetrySeconds: readInt(env, 'NOTIFY_RETRY_SECONDS', 30, 1, 86_400),
    notifyGiveUpSeconds: readInt(env, 'NOTIFY_GIVE_UP_SECONDS', 0, 0, 365 * 86_400),
    notifyConcurrency: readInt(env, 'NOTIFY_CONCURRENCY', 128, 1, 10_000),
    notifyTimeoutSeconds: readInt(env, 'NOTIFY_TIMEOUT_SECONDS', 10, 1, 300),
    longPollSeconds: readInt(env, 'LONG_POLL_SECONDS', 180, 1, 3_600),
    orderTtlSeconds: readInt(env, 'ORDER_TTL_SECONDS', 7_200, 60, 30 * 86_400),
    expirySweepSeconds: readInt(env, 'EXPIRY_SWEEP_SECONDS', 30, 1, 3_600),
    sandboxBarcodePendingMs: readInt(env, 'SANDBOX_BARCODE_PENDING_MS', 3_000, 0, 600_000),
    refundDuplicateWindowSeconds: readInt(env, 'REFUND_DUPLICATE_WINDOW_SECONDS', 60, 0, 30 * 86_400),
    timeZoneOffsetMinutes,
    logLevel,
    bodyLimitBytes: 64 * 1024,
    fxRates: readFxRates(env),
  });
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
    if (!/^[A-Z]{3}:[A-Z]{3}$/.test(pair)) throw new ConfigError(variable, `pair ${JSON.stringify(pair)} must look like NZD:CNY`);
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
