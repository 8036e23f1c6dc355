import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import { pageStyleSource } from '../pages/theme.js';

/**
 * Security headers for the HTML pages (payment page, result page, sandbox wallet, message
 * pages): a Content-Security-Policy that lets only the response's own inline script run
 * (a nonce) and the pages' one inline style (its hash), that no site may frame
 * (`frame-ancestors 'none'`, X-Frame-Options DENY: the sandbox's confirm button must not be
 * clickjacked), Referrer-Policy no-referrer (the page's URL carries the nonce), nosniff, and
 * HSTS when PUBLIC_URL is https. docs/http-limits.md lists them.
 *
 * Registered only in the scope of the page routes (`registerPageSecurity`), so the merchant
 * API's hot paths run none of its hooks. Pages answered outside that scope (a 404 for an
 * unknown path, a URL the router cannot read) get the same headers, without a nonce, from
 * `setPageHeaders`.
 */

/** The policy's directives, without the nonces the plugin adds to script-src and style-src. */
export function pageDirectives(config: Config): Record<string, string[]> {
  const https = config.publicUrl.startsWith('https://');
  return {
    'default-src': ["'none'"],
    // The plugin appends the response's nonce; a page without one runs no script.
    'script-src': [],
    'script-src-attr': ["'none'"],
    // The pages' one stylesheet carries the operator's colour (BRAND_COLOR): its hash is computed once per configuration.
    'style-src': [pageStyleSource(config)],
    'style-src-attr': ["'none'"],
    // The QR is an inline SVG; a data: image is allowed for a QR drawn as PNG.
    'img-src': ["'self'", 'data:'],
    // The live status: EventSource /pay/{nonce}/events and fetch /pay/{nonce}/status.
    'connect-src': ["'self'"],
    // The sandbox wallet's form posts to the gateway. Links and redirects out to the merchant are navigations, which CSP leaves alone.
    'form-action': ["'self'"],
    'frame-ancestors': ["'none'"],
    'base-uri': ["'none'"],
    'object-src': ["'none'"],
    ...(https ? { 'upgrade-insecure-requests': [] } : {}),
  };
}

function helmetOptions(config: Config): FastifyHelmetOptions {
  const https = config.publicUrl.startsWith('https://');
  return {
    global: true,
    enableCSPNonces: true,
    contentSecurityPolicy: { useDefaults: false, directives: pageDirectives(config) },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    // Not includeSubDomains: the operator's other hosts under the domain are not ours to pin.
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: false } : false,
  };
}

/** Registers @fastify/helmet in `scope` (the page routes' plugin scope): its routes get the headers, with nonces. */
export async function registerPageSecurity(scope: FastifyInstance, config: Config): Promise<void> {
  await scope.register(helmet, helmetOptions(config));
}

/** The headers a page answered outside the page scope gets: the same policy, with no nonce (such a page has no script). */
export function staticPageHeaders(config: Config): Readonly<Record<string, string>> {
  const policy = Object.entries(pageDirectives(config))
    .map(([name, values]) => (name === 'script-src' && values.length === 0 ? [name, ["'none'"]] : [name, values]) as [string, string[]])
    .map(([name, values]) => (values.length > 0 ? `${name} ${values.join(' ')}` : name))
    .join(';');
  const headers: Record<string, string> = {
    'content-security-policy': policy,
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'origin-agent-cluster': '?1',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-dns-prefetch-control': 'off',
    'x-download-options': 'noopen',
    'x-frame-options': 'DENY',
    'x-permitted-cross-domain-policies': 'none',
    'x-xss-protection': '0',
  };
  if (config.publicUrl.startsWith('https://')) headers['strict-transport-security'] = 'max-age=31536000';
  return Object.freeze(headers);
}

const staticHeaders = new WeakMap<Config, Readonly<Record<string, string>>>();

/**
 * Sends an HTML page. Outside the page scope it gets the page headers without a nonce
 * (`staticPageHeaders`); inside, it keeps helmet's.
 */
export function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  if (!reply.raw.hasHeader('content-security-policy')) {
    const config = reply.server.gateway.config;
    let headers = staticHeaders.get(config);
    if (!headers) staticHeaders.set(config, (headers = staticPageHeaders(config)));
    reply.headers(headers);
  }
  return reply.code(status).type('text/html; charset=utf-8').send(body);
}
