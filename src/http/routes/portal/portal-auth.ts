import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAudit } from '../../../gateway/audit.js';
import { endPortalSession, startPortalSession } from '../../../gateway/portal/portal-sessions.js';
import { setPasswordWithLink, findSetPasswordLinkUser } from '../../../gateway/portal/set-password-link.js';
import { checkPassword, mayUsePortal } from '../../../gateway/portal/sign-in.js';
import type { SignInThrottle } from '../../../gateway/portal/sign-in-throttle.js';
import { passwordProof, readPasswordProof, verifyTwoFactor } from '../../../gateway/portal/two-factor.js';
import { findPortalUser, type PortalUserRecord } from '../../../store/portal-users.js';
import {
  passwordProblemText,
  renderCodePage,
  renderLinkInvalidPage,
  renderSetPasswordPage,
  renderSignInPage,
  renderTooManyPage,
  type SignInFlash,
} from '../../../pages/portal/auth-pages.js';
import { CORE_STRINGS } from '../../../pages/portal/core-strings.js';
import { portalLanguage } from '../../../pages/portal/portal-layout.js';
import { addressKey } from '../../client-address.js';
import { clearCookie, readCookie, setCookie } from '../../cookies.js';
import { sendPage } from '../../security-headers.js';
import { checkPreSessionCsrf, preSessionToken, secureCookies } from './portal-csrf.js';
import { clearSessionCookie, landingPath, principalOf, requireSignedIn, setSessionCookie } from './portal-session.js';

/** Between the password and the two-factor code: the proof that the password was right. */
const PROOF_COOKIE = 'portal_2fa';
const FLASHES: readonly SignInFlash[] = ['password_set', 'signed_out', 'signed_out_everywhere'];

type Form = Record<string, string | undefined>;

/** `next` when it is a portal path of ours (never another site: no open redirect). */
export function safeNext(next: unknown): string | undefined {
  if (typeof next !== 'string' || next.length > 512) return undefined;
  if (!/^\/portal(?:[/?#]|$)/.test(next) || next.includes('\\') || /[\u0000-\u001f\u007f]/.test(next)) return undefined;
  return next;
}

function formOf(request: FastifyRequest): Form {
  const body = request.body;
  return body && typeof body === 'object' ? (body as Form) : {};
}

/**
 * Signing in (email and password, then the two-factor code when the user turned it on),
 * signing out, and setting a password through a one-time link. Failed sign-ins are
 * limited per email and per client address (SignInThrottle), logged at warn and audited.
 */
export async function portalAuthRoutes(app: FastifyInstance, options: { throttle: SignInThrottle }): Promise<void> {
  const ctx = app.gateway;
  const { throttle } = options;

  const page = (reply: FastifyReply, status: number, body: string) => sendPage(reply.header('cache-control', 'no-store'), status, body);

  const tooMany = (request: FastifyRequest, reply: FastifyReply, waitMs: number) => {
    reply.header('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))));
    return page(reply, 429, renderTooManyPage({ language: portalLanguage(request), waitMs }));
  };

  const refused = async (request: FastifyRequest, email: string, user: PortalUserRecord | undefined, reason: 'password' | 'disabled' | 'code') => {
    request.log.warn({ email, address: request.ip, reason }, 'portal sign-in refused');
    await recordAudit(
      ctx.store.db,
      { actor: `portal:${email}`, source: request.ip },
      'portal.sign_in_failed',
      user ? `portal_user:${user.id}` : `portal_email:${email}`,
      { reason },
      ctx.clock(),
      user?.organisation_id === null || user === undefined ? null : Number(user.organisation_id),
    );
  };

  const signedIn = async (request: FastifyRequest, reply: FastifyReply, user: PortalUserRecord, next: string | undefined) => {
    await throttle.succeeded(user.email);
    const session = await startPortalSession(ctx, user.id, { address: request.ip, userAgent: request.headers['user-agent'] ?? '' });
    await recordAudit(
      ctx.store.db,
      { actor: `portal:${user.email}`, source: request.ip },
      'portal.sign_in',
      `portal_user:${user.id}`,
      {},
      ctx.clock(),
      user.organisation_id === null ? null : Number(user.organisation_id),
    );
    setSessionCookie(request, reply, session.token);
    reply.header('cache-control', 'no-store');
    return reply.redirect(next ?? landingPath({ role: user.role === 'operator' ? 'operator' : 'viewer' }), 303);
  };

  app.get<{ Querystring: { next?: string; done?: string } }>('/portal/login', async (request, reply) => {
    const principal = await principalOf(request);
    const next = safeNext(request.query.next);
    if (principal) return reply.redirect(next ?? landingPath(principal), 303);
    const flash = FLASHES.find((f) => f === request.query.done);
    return page(reply, 200, renderSignInPage({ language: portalLanguage(request), csrf: preSessionToken(request, reply), next, flash }));
  });

  app.post('/portal/login', async (request, reply) => {
    const language = portalLanguage(request);
    const t = CORE_STRINGS[language];
    const form = formOf(request);
    const next = safeNext(form.next);
    const email = (form.email ?? '').trim().toLowerCase().slice(0, 254);
    const again = (status: number, error: string) => page(reply, status, renderSignInPage({ language, csrf: preSessionToken(request, reply), next, email, error }));
    if (!checkPreSessionCsrf(request)) return again(403, t.formExpired);
    const address = addressKey(request.ip);
    const wait = await throttle.refusedFor(email, address);
    if (wait > 0) return tooMany(request, reply, wait);

    const check = await checkPassword(ctx, email, form.password ?? '');
    if (check.kind === 'wrong') {
      await refused(request, email, check.user, 'password');
      const waitNow = await throttle.failed(email, address);
      if (waitNow > 0) return tooMany(request, reply, waitNow);
      return again(401, t.wrongPassword);
    }
    if (check.kind === 'disabled') {
      await refused(request, email, check.user, 'disabled');
      return again(403, t.accountDisabled);
    }
    if (check.totp) {
      setCookie(reply, PROOF_COOKIE, passwordProof(ctx, check.user.id), { path: '/portal/login', maxAge: 300, httpOnly: true, secure: secureCookies(request), sameSite: 'Lax' });
      return page(reply, 200, renderCodePage({ language, csrf: preSessionToken(request, reply), next }));
    }
    return signedIn(request, reply, check.user, next);
  });

  app.post('/portal/login/code', async (request, reply) => {
    const language = portalLanguage(request);
    const t = CORE_STRINGS[language];
    const form = formOf(request);
    const next = safeNext(form.next);
    const proof = readCookie(request, PROOF_COOKIE);
    const userId = proof ? readPasswordProof(ctx, proof) : undefined;
    const user = userId ? await findPortalUser(ctx.store.db, userId) : undefined;
    if (!checkPreSessionCsrf(request) || !user) {
      return page(reply, 403, renderSignInPage({ language, csrf: preSessionToken(request, reply), next, error: t.formExpired }));
    }
    if (!(await mayUsePortal(ctx, user))) {
      await refused(request, user.email, user, 'disabled');
      return page(reply, 403, renderSignInPage({ language, csrf: preSessionToken(request, reply), next, error: t.accountDisabled }));
    }
    const address = addressKey(request.ip);
    const wait = await throttle.refusedFor(user.email, address);
    if (wait > 0) return tooMany(request, reply, wait);
    if (!(await verifyTwoFactor(ctx, user.id, form.code ?? ''))) {
      await refused(request, user.email, user, 'code');
      const waitNow = await throttle.failed(user.email, address);
      if (waitNow > 0) return tooMany(request, reply, waitNow);
      return page(reply, 401, renderCodePage({ language, csrf: preSessionToken(request, reply), next, error: t.wrongCode }));
    }
    clearCookie(reply, PROOF_COOKIE, { path: '/portal/login', httpOnly: true, secure: secureCookies(request), sameSite: 'Lax' });
    return signedIn(request, reply, user, next);
  });

  app.post('/portal/logout', { preHandler: requireSignedIn() }, async (request, reply) => {
    const token = readCookie(request, 'portal_session');
    if (token) await endPortalSession(ctx, token);
    clearSessionCookie(request, reply);
    return reply.redirect('/portal/login?done=signed_out', 303);
  });

  app.get<{ Params: { token: string } }>('/portal/set-password/:token', async (request, reply) => {
    const language = portalLanguage(request);
    const user = await findSetPasswordLinkUser(ctx, request.params.token);
    if (!user) return page(reply, 410, renderLinkInvalidPage(language));
    return page(reply, 200, renderSetPasswordPage({ language, csrf: preSessionToken(request, reply), token: request.params.token, email: user.email }));
  });

  app.post<{ Params: { token: string } }>('/portal/set-password/:token', async (request, reply) => {
    const language = portalLanguage(request);
    const t = CORE_STRINGS[language];
    const { token } = request.params;
    const form = formOf(request);
    const user = await findSetPasswordLinkUser(ctx, token);
    if (!user) return page(reply, 410, renderLinkInvalidPage(language));
    const again = (status: number, error: string) => page(reply, status, renderSetPasswordPage({ language, csrf: preSessionToken(request, reply), token, email: user.email, error }));
    if (!checkPreSessionCsrf(request)) return again(403, t.formExpired);
    const password = form.password ?? '';
    if (password !== (form.confirm ?? '')) return again(400, passwordProblemText(language, 'differ'));
    const result = await setPasswordWithLink(ctx, token, password, request.ip);
    if (!result.ok) return result.problem === 'link' ? page(reply, 410, renderLinkInvalidPage(language)) : again(400, passwordProblemText(language, result.problem));
    clearSessionCookie(request, reply);
    return reply.redirect('/portal/login?done=password_set', 303);
  });
}
