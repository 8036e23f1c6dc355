import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { PNG } from 'pngjs';
import { BRAND_LOGO_MAX_BYTES, ConfigError, loadConfig } from '../../src/config.js';
import { contrast, paletteFor } from '../../src/pages/theme.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { createOrder, PC_UA } from './support.js';

/**
 * The operator's branding: BRAND_NAME, BRAND_COLOR and BRAND_LOGO_FILE, checked at start,
 * the logo served at /brand/logo, and the pages wearing them under the strict CSP.
 */

const dir = mkdtempSync(join(tmpdir(), 'latipay-brand-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** A real 40×20 PNG, half in the brand's colour. */
function pngLogo(): Buffer {
  const png = new PNG({ width: 40, height: 20 });
  for (let i = 0; i < png.data.length; i += 4) png.data.set(i % 160 < 80 ? [0x7a, 0x1f, 0xa2, 255] : [255, 255, 255, 255], i);
  return PNG.sync.write(png);
}

const SVG = '<?xml version="1.0" encoding="UTF-8"?>\n<!-- drawn for the tests -->\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 80 24"><rect width="24" height="24" rx="4" fill="#7a1fa2"/><text x="30" y="17" font-size="14">Harbour</text></svg>\n';

function assertConfigError(env: Record<string, string>, variable: string): void {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
      assert.ok(error.message.startsWith(`${variable}:`), `message ${JSON.stringify(error.message)} should name ${variable}`);
      return true;
    },
  );
}

describe('BRAND_* settings', () => {
  test('defaults: "Latipay Gateway", #0a66c2, no logo', () => {
    const config = loadConfig({});
    assert.equal(config.brandName, 'Latipay Gateway');
    assert.equal(config.brandColor, '#0a66c2');
    assert.equal(config.brandLogo, undefined);
  });

  test('BRAND_NAME is trimmed; too long or with control characters it is refused', () => {
    assert.equal(loadConfig({ BRAND_NAME: '  Harbour Pay ' }).brandName, 'Harbour Pay');
    assert.equal(loadConfig({ BRAND_NAME: '港湾支付' }).brandName, '港湾支付');
    assertConfigError({ BRAND_NAME: 'x'.repeat(61) }, 'BRAND_NAME');
    assertConfigError({ BRAND_NAME: 'Harbour\nPay' }, 'BRAND_NAME');
  });

  test('BRAND_COLOR takes #rgb or #rrggbb in any case, kept as lowercase #rrggbb', () => {
    assert.equal(loadConfig({ BRAND_COLOR: '#7A1FA2' }).brandColor, '#7a1fa2');
    assert.equal(loadConfig({ BRAND_COLOR: '#06C' }).brandColor, '#0066cc');
    for (const bad of ['blue', '7a1fa2', '#12345', '#ggg', '#7a1fa2ff', 'rgb(1,2,3)']) assertConfigError({ BRAND_COLOR: bad }, 'BRAND_COLOR');
  });

  test('BRAND_LOGO_FILE: a PNG or an SVG, read at start', () => {
    const png = pngLogo();
    const fromPng = loadConfig({ BRAND_LOGO_FILE: file('logo.png', png) }).brandLogo;
    assert.equal(fromPng?.contentType, 'image/png');
    assert.deepEqual(fromPng?.bytes, png);
    // The content decides, not the file name.
    const fromSvg = loadConfig({ BRAND_LOGO_FILE: file('logo.img', SVG) }).brandLogo;
    assert.equal(fromSvg?.contentType, 'image/svg+xml');
    assert.equal(fromSvg?.bytes.toString('utf8'), SVG);
  });

  test('BRAND_LOGO_FILE refuses a missing, empty, oversized or foreign file, and an SVG that could do more than draw', () => {
    const refused: Array<[string, string | Buffer]> = [
      ['empty.png', ''],
      ['big.png', Buffer.concat([pngLogo(), Buffer.alloc(BRAND_LOGO_MAX_BYTES)])],
      ['logo.jpg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46])],
      ['notes.txt', 'Harbour Pay'],
      ['page.html', '<html><body><svg xmlns="http://www.w3.org/2000/svg"></svg></body></html>'],
      ['no-namespace.svg', '<svg viewBox="0 0 10 10"><rect width="10" height="10"/></svg>'],
      ['script.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
      ['handler.svg', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="1" height="1"/></svg>'],
      ['link.svg', '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="javascript:alert(1)"><rect width="1" height="1"/></a></svg>'],
      ['html.svg', '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div>x</div></foreignObject></svg>'],
      ['entities.svg', '<!DOCTYPE svg [<!ENTITY a "aaaa">]><svg xmlns="http://www.w3.org/2000/svg"><text>&a;</text></svg>'],
      ['latin1.svg', Buffer.from([0x3c, 0x73, 0x76, 0x67, 0x20, 0xe9, 0x3e])],
    ];
    for (const [name, content] of refused) assertConfigError({ BRAND_LOGO_FILE: file(name, content) }, 'BRAND_LOGO_FILE');
    assertConfigError({ BRAND_LOGO_FILE: join(dir, 'missing.png') }, 'BRAND_LOGO_FILE');
  });
});

describe('the brand colour keeps text readable', () => {
  test('a dark colour: used as it is, with white on it', () => {
    const palette = paletteFor('#0a66c2');
    assert.equal(palette.accent, '#0a66c2');
    assert.equal(palette.accentText, '#0a66c2');
    assert.equal(palette.onAccent, '#ffffff');
  });

  test('any colour: its text on white reaches 4.5:1, and what is written on it at least 4.5:1', () => {
    for (const color of ['#ffd400', '#ffffff', '#00ff00', '#7a1fa2', '#000000', '#ff6a00', '#00c4cc', '#777777']) {
      const palette = paletteFor(color);
      assert.equal(palette.accent, color);
      assert.ok(contrast(palette.accentText, '#ffffff') >= 4.5, `${color}: text ${palette.accentText}`);
      assert.ok(contrast(palette.onAccent, color) >= 4.5, `${color}: ${palette.onAccent} on it`);
    }
    assert.equal(paletteFor('#ffd400').onAccent, '#000000');
    assert.notEqual(paletteFor('#ffd400').accentText, '#ffd400', 'a light yellow is darkened for text');
  });
});

/** The directives of a response's CSP, by name. */
function policyOf(response: LightMyRequestResponse): Map<string, string[]> {
  const header = String(response.headers['content-security-policy'] ?? '');
  return new Map(header.split(';').map((part) => part.trim().split(/\s+/)).map(([name, ...values]) => [name, values] as [string, string[]]));
}

/** The page's one <style>, which its CSP allows by hash, and nothing styled any other way. */
function styleOf(response: LightMyRequestResponse): string {
  const styles = [...response.body.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
  assert.equal(styles.length, 1);
  const hash = `'sha256-${createHash('sha256').update(styles[0], 'utf8').digest('base64')}'`;
  const policy = policyOf(response);
  assert.ok(policy.get('style-src')?.includes(hash), `style-src ${policy.get('style-src')?.join(' ')} lacks ${hash}`);
  for (const values of policy.values()) assert.ok(!values.includes("'unsafe-inline'"));
  assert.doesNotMatch(response.body, /\sstyle\s*=/i);
  return styles[0];
}

describe('a branded gateway (BRAND_NAME, BRAND_COLOR, a PNG logo)', () => {
  let gw: TestGateway;
  const png = pngLogo();
  before(async () => {
    gw = await createTestGateway({ env: { BRAND_NAME: 'Harbour <Pay> & Co', BRAND_COLOR: '#7A1FA2', BRAND_LOGO_FILE: file('harbour.png', png) } });
  });
  after(async () => {
    await gw.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) =>
    gw.app.inject({ method: 'GET', url, headers: { accept: 'text/html', 'user-agent': PC_UA, ...headers } });

  test('GET /brand/logo serves the file as image/png, cached a day and revalidated by ETag', async () => {
    const response = await get('/brand/logo');
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['content-type'], 'image/png');
    assert.deepEqual(response.rawPayload, png);
    assert.equal(response.headers['cache-control'], 'public, max-age=86400');
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    const etag = String(response.headers.etag);
    assert.match(etag, /^"[0-9a-f]{16}"$/);
    const again = await get('/brand/logo', { 'if-none-match': etag });
    assert.equal(again.statusCode, 304);
    assert.equal(again.rawPayload.length, 0);
    assert.equal((await get('/brand/logo', { 'if-none-match': '"0000000000000000"' })).statusCode, 200);
  });

  test('the payment page wears the brand: its name (escaped), its logo, its colour in the one allowed stylesheet', async () => {
    const { nonce } = await createOrder(gw);
    const response = await get(`/pay/${nonce}`);
    assert.equal(response.statusCode, 200);
    const body = response.body;
    assert.match(body, /data-test="brand-name">Harbour &lt;Pay&gt; &amp; Co<\/span>/);
    assert.match(body, /<title>Pay Pinot Noir, Otago · Harbour &lt;Pay&gt; &amp; Co<\/title>/);
    const logo = /<img src="([^"]+)" alt="" data-test="brand-logo">/.exec(body);
    assert.ok(logo, 'the logo, decorative beside the written name');
    assert.equal(logo[1], `/brand/logo?v=${String((await get('/brand/logo')).headers.etag).slice(1, -1)}`);
    assert.equal((await get(logo[1])).statusCode, 200);
    const style = styleOf(response);
    assert.ok(style.includes('border-top:4px solid #7a1fa2'));
    assert.ok(!style.includes('#0a66c2'), 'the default colour is gone');
  });

  test('the failure page, the sandbox wallet and a page answered outside the page scope allow their style too', async () => {
    const { nonce } = await createOrder(gw);
    const payment = await get(`/pay/${nonce}`);
    const walletPath = (/data-test="test-wallet" href="([^"?]+)/.exec(payment.body) ?? [])[1];
    assert.ok(walletPath);
    const posted = await gw.app.inject({
      method: 'POST',
      url: walletPath,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      payload: 'outcome=failed',
    });
    const failure = await get(`/pay/${nonce}/result`);
    assert.match(failure.body, /data-outcome="failed"/);
    const missing = await get('/no/such/page');
    assert.equal(missing.statusCode, 404);
    for (const response of [posted, failure, missing]) assert.ok(styleOf(response).includes('#7a1fa2'));
    assert.ok(missing.body.includes('Harbour &lt;Pay&gt; &amp; Co'));
    // The wallet stands for the wallet app: no operator brand on it.
    assert.ok(!posted.body.includes('data-test="brand-name"'));
  });
});

describe('a gateway with an SVG logo', () => {
  test('serves it as image/svg+xml under a policy that lets it run nothing when opened directly', async () => {
    const gw = await createTestGateway({ env: { BRAND_LOGO_FILE: file('harbour.svg', SVG) } });
    try {
      const response = await gw.app.inject({ method: 'GET', url: '/brand/logo' });
      assert.equal(response.statusCode, 200);
      assert.equal(response.headers['content-type'], 'image/svg+xml');
      assert.equal(response.body, SVG);
      const policy = policyOf(response);
      assert.deepEqual(policy.get('default-src'), ["'none'"]);
      assert.ok(policy.has('sandbox'));
    } finally {
      await gw.close();
    }
  });
});

describe('a gateway without a logo', () => {
  test('GET /brand/logo answers 404', async () => {
    const gw = await createTestGateway();
    try {
      const response = await gw.app.inject({ method: 'GET', url: '/brand/logo' });
      assert.equal(response.statusCode, 404);
    } finally {
      await gw.close();
    }
  });
});
