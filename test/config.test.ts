import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, decodeSecretKey, loadConfig } from '../src/config.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Asserts loadConfig(env) throws a ConfigError whose message names `variable`. */
function assertConfigError(env: Record<string, string>, variable: string): void {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      assert.ok(error.message.includes(variable), `message ${JSON.stringify(error.message)} should name ${variable}`);
      return true;
    },
  );
}

const HEX_KEY = 'ab'.repeat(32);
const BASE64_KEY = Buffer.alloc(32, 7).toString('base64');

describe('loadConfig defaults', () => {
  const config = loadConfig({});

  test('port is 8080', () => assert.equal(config.port, 8080));
  test('databaseUrl is sqlite:./data/latipay.db', () => assert.equal(config.databaseUrl, 'sqlite:./data/latipay.db'));
  test('sandbox is on', () => assert.equal(config.sandbox, true));
  test('notifyRetrySeconds is 30', () => assert.equal(config.notifyRetrySeconds, 30));
  test('longPollSeconds is 180', () => assert.equal(config.longPollSeconds, 180));
  test('publicUrl is http://localhost:8080', () => assert.equal(config.publicUrl, 'http://localhost:8080'));
  test('the wire time zone is UTC+08:00', () => assert.equal(config.timeZoneOffsetMinutes, 480));
  test('no secret key is set', () => assert.equal(config.secretKey, undefined));
  test('log level is info', () => assert.equal(config.logLevel, 'info'));
  test('one gateway process', () => assert.equal(config.processes, 1));

  test('empty strings count as unset', () => {
    const fromEmpty = loadConfig({ PORT: '', PUBLIC_URL: '', DATABASE_URL: '', SANDBOX: '', SECRET_KEY: '', LOG_LEVEL: '' });
    assert.deepEqual(fromEmpty, config);
  });

  test('PROCESSES is a whole number from 1 to 64', () => {
    assert.equal(loadConfig({ PROCESSES: '4' }).processes, 4);
    assertConfigError({ PROCESSES: '0' }, 'PROCESSES');
    assertConfigError({ PROCESSES: '65' }, 'PROCESSES');
    assertConfigError({ PROCESSES: 'two' }, 'PROCESSES');
  });

  test('the default publicUrl follows PORT', () => {
    assert.equal(loadConfig({ PORT: '3000' }).publicUrl, 'http://localhost:3000');
  });
});

describe('loadConfig reads values', () => {
  test('a numeric PORT, trimmed', () => {
    assert.equal(loadConfig({ PORT: ' 9000 ' }).port, 9000);
  });

  test('PUBLIC_URL loses its trailing slashes', () => {
    assert.equal(loadConfig({ PUBLIC_URL: 'https://pay.example.com/' }).publicUrl, 'https://pay.example.com');
    assert.equal(loadConfig({ PUBLIC_URL: 'https://example.com/pay//' }).publicUrl, 'https://example.com/pay');
  });

  test('SANDBOX accepts on/off words in any case', () => {
    for (const off of ['0', 'false', 'NO', 'Off']) assert.equal(loadConfig({ SANDBOX: off }).sandbox, false, off);
    for (const on of ['1', 'TRUE', 'yes', 'on']) assert.equal(loadConfig({ SANDBOX: on }).sandbox, true, on);
  });

  test('DATABASE_URL accepts sqlite and postgres URLs', () => {
    for (const url of ['sqlite::memory:', 'postgres://u:p@db/latipay', 'postgresql://db/latipay']) {
      assert.equal(loadConfig({ DATABASE_URL: url, SECRET_KEY: HEX_KEY }).databaseUrl, url);
    }
  });

  test('SECRET_KEY accepts 64 hex characters or base64 of 32 bytes', () => {
    assert.equal(loadConfig({ SECRET_KEY: HEX_KEY }).secretKey, HEX_KEY);
    assert.equal(loadConfig({ SECRET_KEY: BASE64_KEY }).secretKey, BASE64_KEY);
  });

  test('numeric settings are read as numbers', () => {
    const config = loadConfig({ NOTIFY_RETRY_SECONDS: '5', LONG_POLL_SECONDS: '60' });
    assert.equal(config.notifyRetrySeconds, 5);
    assert.equal(config.longPollSeconds, 60);
  });

  test('TIMEZONE_OFFSET sets the wire time zone', () => {
    assert.equal(loadConfig({ TIMEZONE_OFFSET: '-05:30' }).timeZoneOffsetMinutes, -330);
  });
});

describe('loadConfig rejects a bad value with a ConfigError naming the variable', () => {
  const bad: ReadonlyArray<[string, string]> = [
    ['PORT', 'abc'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['PORT', '8080abc'],
    ['NOTIFY_RETRY_SECONDS', '0'],
    ['NOTIFY_RETRY_SECONDS', 'soon'],
    ['NOTIFY_RETRY_SECONDS', '1e3'],
    ['LONG_POLL_SECONDS', '0'],
    ['LONG_POLL_SECONDS', '3601'],
    ['LONG_POLL_SECONDS', 'forever'],
    ['SANDBOX', 'maybe'],
    ['SANDBOX', '2'],
    ['PUBLIC_URL', 'localhost:8080'],
    ['PUBLIC_URL', 'ftp://example.com'],
    ['PUBLIC_URL', 'https://example.com/?a=1'],
    ['PUBLIC_URL', 'https://example.com/#top'],
    ['PUBLIC_URL', 'https://example.com?'],
    ['PUBLIC_URL', 'https://example.com#'],
    ['PUBLIC_URL', '/relative'],
    ['DATABASE_URL', 'mysql://db/latipay'],
    ['DATABASE_URL', 'sqlite:'],
    ['DATABASE_URL', './data/latipay.db'],
    ['SECRET_KEY', 'short'],
    ['SECRET_KEY', 'ab'.repeat(31) + 'a'],
    ['SECRET_KEY', 'zz'.repeat(32)],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_LEVEL', 'INFO'],
    ['TIMEZONE_OFFSET', '+8'],
  ];
  for (const [variable, value] of bad) {
    test(`${variable}=${JSON.stringify(value)}`, () => assertConfigError({ [variable]: value }, variable));
  }
});

describe('loadConfig result', () => {
  test('is frozen', () => {
    const config = loadConfig({});
    assert.ok(Object.isFrozen(config));
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
    assert.equal(config.port, 8080);
  });

  test('does not read process.env when given an env', () => {
    const saved = process.env.PORT;
    process.env.PORT = '1234';
    try {
      assert.equal(loadConfig({}).port, 8080);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });
});

describe('decodeSecretKey', () => {
  test('decodes 64 hex characters to 32 bytes', () => {
    assert.deepEqual(decodeSecretKey(HEX_KEY), Buffer.from(HEX_KEY, 'hex'));
  });

  test('decodes base64 of 32 bytes', () => {
    assert.deepEqual(decodeSecretKey(BASE64_KEY), Buffer.alloc(32, 7));
  });

  test('refuses anything else', () => {
    for (const bad of ['', 'short', 'ab'.repeat(33), Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64')]) {
      assert.equal(decodeSecretKey(bad), undefined, bad);
    }
  });
});

describe('REFUND_DUPLICATE_WINDOW_SECONDS', () => {
  test('defaults to 60 seconds', () => assert.equal(loadConfig({}).refundDuplicateWindowSeconds, 60));

  test('is read as a number; 0 turns duplicate detection off', () => {
    assert.equal(loadConfig({ REFUND_DUPLICATE_WINDOW_SECONDS: '300' }).refundDuplicateWindowSeconds, 300);
    assert.equal(loadConfig({ REFUND_DUPLICATE_WINDOW_SECONDS: '0' }).refundDuplicateWindowSeconds, 0);
  });

  for (const value of ['-1', 'a minute', '1.5', String(30 * 86_400 + 1)]) {
    test(`refuses ${JSON.stringify(value)} naming the variable`, () =>
      assertConfigError({ REFUND_DUPLICATE_WINDOW_SECONDS: value }, 'REFUND_DUPLICATE_WINDOW_SECONDS'));
  }
});

describe('EXPIRY_SWEEP_SECONDS', () => {
  test('defaults to 30 seconds', () => assert.equal(loadConfig({}).expirySweepSeconds, 30));

  test('is read as a number', () => assert.equal(loadConfig({ EXPIRY_SWEEP_SECONDS: '5' }).expirySweepSeconds, 5));

  for (const value of ['0', '-1', 'often', '2.5', '3601']) {
    test(`refuses ${JSON.stringify(value)} naming the variable`, () => assertConfigError({ EXPIRY_SWEEP_SECONDS: value }, 'EXPIRY_SWEEP_SECONDS'));
  }
});

describe('PAYID_TTL_SECONDS', () => {
  test('defaults to a day, apart from ORDER_TTL_SECONDS', () => {
    const config = loadConfig({ ORDER_TTL_SECONDS: '900' });
    assert.equal(config.payidTtlSeconds, 86_400);
    assert.equal(config.orderTtlSeconds, 900);
  });

  test('is read as a number', () => assert.equal(loadConfig({ PAYID_TTL_SECONDS: '172800' }).payidTtlSeconds, 172_800));

  for (const value of ['59', '-1', 'a day', '1.5', String(30 * 86_400 + 1)]) {
    test(`refuses ${JSON.stringify(value)} naming the variable`, () => assertConfigError({ PAYID_TTL_SECONDS: value }, 'PAYID_TTL_SECONDS'));
  }
});

describe('SANDBOX_BARCODE_PENDING_MS', () => {
  test('defaults to 3000 ms', () => assert.equal(loadConfig({}).sandboxBarcodePendingMs, 3_000));

  test('is read as a number; 0 settles at once', () => {
    assert.equal(loadConfig({ SANDBOX_BARCODE_PENDING_MS: '250' }).sandboxBarcodePendingMs, 250);
    assert.equal(loadConfig({ SANDBOX_BARCODE_PENDING_MS: '0' }).sandboxBarcodePendingMs, 0);
  });

  for (const value of ['-1', 'soon', '1.5', '600001']) {
    test(`refuses ${JSON.stringify(value)} naming the variable`, () =>
      assertConfigError({ SANDBOX_BARCODE_PENDING_MS: value }, 'SANDBOX_BARCODE_PENDING_MS'));
  }
});

describe('production mode and the settings that make it safe', () => {
  const production = { NODE_ENV: 'production', SECRET_KEY: HEX_KEY, PUBLIC_URL: 'https://pay.example.com' };

  test('NODE_ENV=production is production; anything else is development', () => {
    assert.equal(loadConfig(production).mode, 'production');
    assert.equal(loadConfig({ NODE_ENV: 'test' }).mode, 'development');
    assert.equal(loadConfig({}).mode, 'development');
  });

  test('the sandbox is off in production unless SANDBOX=on, and on elsewhere unless SANDBOX=off', () => {
    assert.equal(loadConfig(production).sandbox, false);
    assert.equal(loadConfig({ ...production, SANDBOX: 'on' }).sandbox, true);
    assert.equal(loadConfig({}).sandbox, true);
    assert.equal(loadConfig({ SANDBOX: 'off' }).sandbox, false);
  });

  test('production refuses to start without SECRET_KEY or with an http PUBLIC_URL', () => {
    assertConfigError({ ...production, SECRET_KEY: '' }, 'SECRET_KEY');
    assertConfigError({ ...production, PUBLIC_URL: 'http://pay.example.com' }, 'PUBLIC_URL');
    assertConfigError({ NODE_ENV: 'production', SECRET_KEY: HEX_KEY }, 'PUBLIC_URL');
    assert.equal(loadConfig({ ...production, PUBLIC_URL: 'http://10.1.2.3:8080', PUBLIC_URL_ALLOW_HTTP: 'on' }).publicUrl, 'http://10.1.2.3:8080');
  });

  test('PostgreSQL needs SECRET_KEY in every mode (no key file beside a database server)', () => {
    assertConfigError({ DATABASE_URL: 'postgres://db/latipay' }, 'SECRET_KEY');
  });

  test('SECRET_KEY_FILE reads the key from a file; both at once are refused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latipay-config-'));
    try {
      const file = join(dir, 'key');
      writeFileSync(file, HEX_KEY + '\n');
      assert.equal(loadConfig({ SECRET_KEY_FILE: file }).secretKey, HEX_KEY);
      assertConfigError({ SECRET_KEY_FILE: file, SECRET_KEY: HEX_KEY }, 'SECRET_KEY_FILE');
      assertConfigError({ SECRET_KEY_FILE: join(dir, 'missing') }, 'SECRET_KEY_FILE');
      writeFileSync(file, 'not a key');
      assertConfigError({ SECRET_KEY_FILE: file }, 'SECRET_KEY_FILE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('SECRET_KEY_PREVIOUS must be a key too', () => {
    assert.equal(loadConfig({ SECRET_KEY_PREVIOUS: BASE64_KEY }).secretKeyPrevious, BASE64_KEY);
    assertConfigError({ SECRET_KEY_PREVIOUS: 'short' }, 'SECRET_KEY_PREVIOUS');
  });

  test('TRUST_PROXY names proxies; trusting everyone is refused', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ TRUST_PROXY: '10.0.0.0/8,127.0.0.1' }).trustProxy, '10.0.0.0/8,127.0.0.1');
    assert.equal(loadConfig({ TRUST_PROXY: 'loopback' }).trustProxy, 'loopback');
    assertConfigError({ TRUST_PROXY: 'true' }, 'TRUST_PROXY');
    assertConfigError({ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY');
  });

  test('the outbound guard is on in production, and OUTBOUND_ALLOW_CIDRS is a list of CIDRs', () => {
    assert.equal(loadConfig(production).outboundGuard, true);
    assert.equal(loadConfig({}).outboundGuard, false);
    assert.equal(loadConfig({ OUTBOUND_GUARD: 'on' }).outboundGuard, true);
    assert.deepEqual(loadConfig({ OUTBOUND_ALLOW_CIDRS: '10.1.0.0/16, fd00::1' }).outboundAllowCidrs, ['10.1.0.0/16', 'fd00::1/128']);
    assertConfigError({ OUTBOUND_ALLOW_CIDRS: 'intranet' }, 'OUTBOUND_ALLOW_CIDRS');
    assertConfigError({ OUTBOUND_ALLOW_CIDRS: '10.0.0.0/8/8' }, 'OUTBOUND_ALLOW_CIDRS');
  });

  test('limits have defaults and bounds', () => {
    const config = loadConfig({});
    assert.equal(config.authFailuresPerAddress, 30);
    assert.equal(config.authFailuresPerUser, 100);
    assert.equal(config.payStreamsPerOrder, 4);
    assert.equal(config.longPollsPerUser, 5_000);
    assert.equal(config.notifyRetentionDays, 30);
    assert.equal(config.idempotencyKeyHours, 24);
    assertConfigError({ AUTH_FAILURES_PER_ADDRESS: '0' }, 'AUTH_FAILURES_PER_ADDRESS');
    assertConfigError({ PAY_STREAM_MAX_SECONDS: '5' }, 'PAY_STREAM_MAX_SECONDS');
  });
});

describe('operations settings', () => {
  test('defaults: metrics on at the API port without a token, API docs on, request logging off', () => {
    const config = loadConfig({});
    assert.equal(config.metrics, true);
    assert.equal(config.metricsToken, undefined);
    assert.equal(config.metricsPort, undefined);
    assert.equal(config.apiDocs, true);
    assert.equal(config.logRequests, false);
  });

  test('METRICS, API_DOCS and LOG_REQUESTS are on/off switches', () => {
    const config = loadConfig({ METRICS: 'off', API_DOCS: 'off', LOG_REQUESTS: 'on' });
    assert.equal(config.metrics, false);
    assert.equal(config.apiDocs, false);
    assert.equal(config.logRequests, true);
    assertConfigError({ METRICS: 'maybe' }, 'METRICS');
    assertConfigError({ API_DOCS: 'yes please' }, 'API_DOCS');
    assertConfigError({ LOG_REQUESTS: 'verbose' }, 'LOG_REQUESTS');
  });

  test('METRICS_TOKEN is a bearer token of at least 16 characters', () => {
    const token = 'c2VjcmV0LXRva2VuLWZvci1tZXRyaWNz';
    assert.equal(loadConfig({ METRICS_TOKEN: ` ${token} ` }).metricsToken, token);
    assertConfigError({ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN');
    assertConfigError({ METRICS_TOKEN: 'has a space in the middle!!' }, 'METRICS_TOKEN');
    assertConfigError({ METRICS_TOKEN: 'quote"in-the-token-here' }, 'METRICS_TOKEN');
  });

  test('METRICS_PORT is a port other than PORT', () => {
    assert.equal(loadConfig({ METRICS_PORT: '9464' }).metricsPort, 9464);
    assertConfigError({ METRICS_PORT: '0' }, 'METRICS_PORT');
    assertConfigError({ METRICS_PORT: '70000' }, 'METRICS_PORT');
    assertConfigError({ METRICS_PORT: 'nine' }, 'METRICS_PORT');
    assertConfigError({ PORT: '9000', METRICS_PORT: '9000' }, 'METRICS_PORT');
  });
});
