import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { can, type PortalAction } from '../../../domain/portal-roles.js';
import type { PortalPrincipal } from '../../../gateway/portal/portal-principal.js';
import { loadPortalSession } from '../../../gateway/portal/portal-sessions.js';
import { html } from '../../../pages/layout.js';
import { CORE_STRINGS } from '../../../pages/portal/core-strings.js';
import { portalLanguage, renderPortalBarePage, renderPortalPage } from '../../../pages/portal/portal-layout.js';
import { clearCookie, readCookie, setCookie } from '../../cookies.js';
import { sendPage } from '../../security-headers.js';
import { checkSessionCsrf, secureCookies } from './portal-csrf.js';

export type { PortalPrincipal } from '../../../gateway/portal/portal-principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in portal user, set by requirePortal / requireOperator / requireSignedIn. */
    portal?: PortalPrincipal;
  }
}

/** The session cookie: HttpOnly, SameSite=Lax, Path=/portal, Secure when PUBLIC_URL is https. */
export const SESSION_COOKIE = 'portal_session';

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string): void {
  // No Max-Age: the cookie goes when the browser closes; the session's own expiry holds anyway.
  setCookie(reply, SESSION_COOKIE, token, { path: '/portal', httpOnly: true, secure: secureCookies(request), sameSite: 'Lax' });
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  clearCookie(reply, SESSION_COOKIE, { path: '/portal', httpOnly: true, secure: secureCookies(request), sameSite: 'Lax' });
}

const loaded = new WeakMap<FastifyRequest, Promise<PortalPrincipal | undefined>>();

/** The request's signed-in user, if its session cookie names a live session (looked up once per request). */
export function principalOf(request: FastifyRequest): Promise<PortalPrincipal | undefined> {
  let principal = loaded.get(request);
  if (!principal) {
    const token = readCookie(request, SESSION_COOKIE);
    principal = token ? loadPortalSession(request.server.gateway, token) : Promise.resolve(undefined);
    loaded.set(request, principal);
  }
  return principal;
}

/** Where a user lands after signing in: operators on their area, members on the dashboard. */
export function landingPath(principal: Pick<PortalPrincipal, 'role'>): string {
  return principal.role === 'operator' ? '/portal/operator' : '/portal';
}

function isRead(request: FastifyRequest): boolean {
  return request.method === 'GET' || request.method === 'HEAD';
}

function toSignIn(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header('cache-control', 'no-store');
  if (!isRead(request)) return reply.redirect('/portal/login', 303);
  return reply.redirect(`/portal/login?next=${encodeURIComponent(request.url)}`, 303);
}

/** The 403 page: inside the portal's frame for a signed-in user. */
export function sendForbidden(request: FastifyRequest, reply: FastifyReply, principal: PortalPrincipal | undefined): FastifyReply {
  const language = portalLanguage(request);
  const t = CORE_STRINGS[language];
  const body = html`<h1>${t.forbiddenTitle}</h1><div class="card"><p>${t.forbiddenText}</p><p><a href="${principal ? landingPath(principal) : '/portal/login'}">${t.backToPortal}</a></p></div>`;
  reply.header('cache-control', 'no-store');
  return sendPage(
    reply,
    403,
    principal ? renderPortalPage({ language, principal, title: t.forbiddenTitle, active: principal.role === 'operator' ? 'operator' : 'dashboard', body }) : renderPortalBarePage({ language, title: t.forbiddenTitle, body }),
  );
}

function guard(allowed: (principal: PortalPrincipal) => boolean): preHandlerHookHandler {
  return async function portalGuard(request, reply) {
    const principal = await principalOf(request);
    if (!principal) return toSignIn(request, reply);
    if (!allowed(principal)) return sendForbidden(request, reply, principal);
    if (!isRead(request) && !checkSessionCsrf(request, principal.csrfToken)) return sendForbidden(request, reply, principal);
    reply.header('cache-control', 'no-store');
    request.portal = principal;
  };
}

/**
 * preHandler: a signed-in member of an organisation allowed `action`. No session: GET → 303
 * to /portal/login?next=<path>, other methods → 303 to /portal/login. Not allowed (an
 * operator too) → 403 portal page. Non-GET: the CSRF token (form field `_csrf` or header
 * `x-csrf-token`, constant-time) and, when present, Origin must be ours; else 403.
 */
export function requirePortal(action: PortalAction): preHandlerHookHandler {
  return guard((p) => p.role !== 'operator' && p.organisationId !== null && can(p.role, action));
}

/** preHandler: a signed-in operator (same CSRF rules). */
export function requireOperator(): preHandlerHookHandler {
  return guard((p) => p.role === 'operator');
}

/** preHandler: anyone signed in, member or operator (their account, sign out). */
export function requireSignedIn(): preHandlerHookHandler {
  return guard(() => true);
}
