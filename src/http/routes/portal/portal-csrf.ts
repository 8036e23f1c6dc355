import type { FastifyReply, FastifyRequest } from 'fastify';
import { newPortalToken, sameToken, signPortalValue } from '../../../gateway/portal/portal-tokens.js';
import { readCookie, setCookie } from '../../cookies.js';

/**
 * Cross-site request forgery defences of the portal (docs/portal.md#csrf):
 *
 * - Every non-GET request must carry a token only a page of ours can know: the session's
 *   CSRF token for a signed-in user (form field `_csrf` or header `x-csrf-token`), or, before
 *   sign-in (the login, two-factor and set-password forms), a pre-session token: a random
 *   cookie and, in the form, its HMAC under a key derived from SECRET_KEY (a signed double
 *   submit: another site can neither read the cookie nor forge the HMAC of one it planted).
 * - And, when the browser says where the request comes from (Origin, Sec-Fetch-Site), it
 *   must be this gateway.
 * Cookies are SameSite=Lax besides, so most browsers send none on a cross-site POST.
 */

export const PRE_SESSION_COOKIE = 'portal_pre';

/** Whether the request comes from a page of this gateway, as far as the browser tells. */
export function fromOurOrigin(request: FastifyRequest): boolean {
  if (request.headers['sec-fetch-site'] === 'cross-site') return false;
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (origin === 'null') return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.origin === new URL(request.server.gateway.config.publicUrl).origin) return true;
  // The host the browser addressed (a gateway reached by another name than PUBLIC_URL, e.g. on a private network).
  return url.host === request.headers.host;
}

/** The CSRF token a request carries: the form field `_csrf`, else the header `x-csrf-token`. */
export function csrfTokenOf(request: FastifyRequest): string | undefined {
  const body = request.body as Record<string, unknown> | undefined;
  const field = body && typeof body === 'object' ? body._csrf : undefined;
  if (typeof field === 'string') return field;
  const header = request.headers['x-csrf-token'];
  return typeof header === 'string' ? header : undefined;
}

/** Whether a signed-in user's non-GET request is genuine: the session's token, and our origin. */
export function checkSessionCsrf(request: FastifyRequest, csrfToken: string): boolean {
  const token = csrfTokenOf(request);
  return token !== undefined && sameToken(token, csrfToken) && fromOurOrigin(request);
}

function preSessionKey(request: FastifyRequest): string {
  return request.server.gateway.secrets.deriveKey('portal-pre-session');
}

export function secureCookies(request: FastifyRequest): boolean {
  return request.server.gateway.config.publicUrl.startsWith('https://');
}

/** The pre-session token for a form: sets the cookie when the browser has none yet. */
export function preSessionToken(request: FastifyRequest, reply: FastifyReply): string {
  let value = readCookie(request, PRE_SESSION_COOKIE);
  if (!value || value.length > 128) {
    value = newPortalToken();
    setCookie(reply, PRE_SESSION_COOKIE, value, { path: '/portal', httpOnly: true, secure: secureCookies(request), sameSite: 'Lax' });
  }
  return signPortalValue(preSessionKey(request), value);
}

/** Whether a form posted before sign-in carries the token of the browser's pre-session cookie, from our origin. */
export function checkPreSessionCsrf(request: FastifyRequest): boolean {
  const value = readCookie(request, PRE_SESSION_COOKIE);
  const token = csrfTokenOf(request);
  if (!value || !token || !fromOurOrigin(request)) return false;
  return sameToken(token, signPortalValue(preSessionKey(request), value));
}
