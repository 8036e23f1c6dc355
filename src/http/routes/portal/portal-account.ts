import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import QRCode from 'qrcode';
import { recordAudit } from '../../../gateway/audit.js';
import { changePassword } from '../../../gateway/portal/change-password.js';
import { portalActor, type PortalPrincipal } from '../../../gateway/portal/portal-principal.js';
import { endAllPortalSessions } from '../../../gateway/portal/portal-sessions.js';
import type { SignInThrottle } from '../../../gateway/portal/sign-in-throttle.js';
import { totpUri } from '../../../gateway/portal/totp.js';
import { disableTwoFactor, enableTwoFactor, offerTwoFactor } from '../../../gateway/portal/two-factor.js';
import { findPortalUser } from '../../../store/portal-users.js';
import { passwordProblemText } from '../../../pages/portal/auth-pages.js';
import { renderAccountPage, type AccountFlash } from '../../../pages/portal/account-page.js';
import { renderTooManyPage } from '../../../pages/portal/auth-pages.js';
import { CORE_STRINGS } from '../../../pages/portal/core-strings.js';
import { portalLanguage } from '../../../pages/portal/portal-layout.js';
import { addressKey } from '../../client-address.js';
import { sendPage } from '../../security-headers.js';
import { clearSessionCookie, requireSignedIn } from './portal-session.js';

type Form = Record<string, string | undefined>;
const FLASHES: readonly AccountFlash[] = ['password', 'totp_on', 'totp_off'];

/** /portal/account: change password, two-factor authentication, sign out everywhere (members and operators). */
export async function portalAccountRoutes(app: FastifyInstance, options: { throttle: SignInThrottle }): Promise<void> {
  const ctx = app.gateway;
  const { throttle } = options;
  const signedIn = { preHandler: requireSignedIn() };

  const show = async (request: FastifyRequest, reply: FastifyReply, status: number, extra: { flash?: AccountFlash; error?: { form: 'password' | 'totp'; text: string } } = {}) => {
    const principal = request.portal as PortalPrincipal;
    const user = await findPortalUser(ctx.store.db, principal.userId);
    let twoFactor: Parameters<typeof renderAccountPage>[0]['twoFactor'];
    if (user?.totp_secret_sealed) {
      twoFactor = { enabled: true };
    } else {
      const offer = offerTwoFactor(ctx, principal.userId);
      const uri = totpUri(offer.secret, ctx.config.brandName, principal.email);
      const qrSvg = await QRCode.toString(uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
      twoFactor = { enabled: false, qrSvg, secret: offer.secret, pending: offer.pending };
    }
    return sendPage(reply, status, renderAccountPage({ language: portalLanguage(request), principal, twoFactor, ...extra }));
  };
  const formOf = (request: FastifyRequest) => (request.body && typeof request.body === 'object' ? (request.body as Form) : {});
  const tooMany = (request: FastifyRequest, reply: FastifyReply, waitMs: number) => {
    reply.header('retry-after', String(Math.max(1, Math.ceil(waitMs / 1000))));
    return sendPage(reply, 429, renderTooManyPage({ language: portalLanguage(request), waitMs }));
  };

  app.get<{ Querystring: { done?: string } }>('/portal/account', signedIn, async (request, reply) =>
    show(request, reply, 200, { flash: FLASHES.find((f) => f === request.query.done) }),
  );

  app.post('/portal/account/password', signedIn, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const language = portalLanguage(request);
    const form = formOf(request);
    const next = form.new_password ?? '';
    if (next !== (form.confirm_password ?? '')) return show(request, reply, 400, { error: { form: 'password', text: passwordProblemText(language, 'differ') } });
    const address = addressKey(request.ip);
    const wait = await throttle.refusedFor(principal.email, address);
    if (wait > 0) return tooMany(request, reply, wait);
    const result = await changePassword(ctx, principal.userId, form.current_password ?? '', next, principal.sessionId, portalActor(principal, request.ip));
    if (result === 'wrong_current') {
      request.log.warn({ email: principal.email, address: request.ip }, 'portal password change refused: wrong current password');
      const waitNow = await throttle.failed(principal.email, address);
      if (waitNow > 0) return tooMany(request, reply, waitNow);
      return show(request, reply, 401, { error: { form: 'password', text: CORE_STRINGS[language].wrongCurrentPassword } });
    }
    if (result !== 'changed') return show(request, reply, 400, { error: { form: 'password', text: passwordProblemText(language, result) } });
    return reply.redirect('/portal/account?done=password', 303);
  });

  app.post('/portal/account/two-factor/enable', signedIn, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const form = formOf(request);
    if (!(await enableTwoFactor(ctx, principal.userId, form.pending ?? '', form.code ?? '', portalActor(principal, request.ip)))) {
      return show(request, reply, 400, { error: { form: 'totp', text: CORE_STRINGS[portalLanguage(request)].wrongCode } });
    }
    return reply.redirect('/portal/account?done=totp_on', 303);
  });

  app.post('/portal/account/two-factor/disable', signedIn, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const address = addressKey(request.ip);
    const wait = await throttle.refusedFor(principal.email, address);
    if (wait > 0) return tooMany(request, reply, wait);
    if (!(await disableTwoFactor(ctx, principal.userId, formOf(request).code ?? '', portalActor(principal, request.ip)))) {
      const waitNow = await throttle.failed(principal.email, address);
      if (waitNow > 0) return tooMany(request, reply, waitNow);
      return show(request, reply, 401, { error: { form: 'totp', text: CORE_STRINGS[portalLanguage(request)].wrongCode } });
    }
    return reply.redirect('/portal/account?done=totp_off', 303);
  });

  app.post('/portal/account/sign-out-everywhere', signedIn, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const ended = await endAllPortalSessions(ctx, principal.userId);
    await recordAudit(ctx.store.db, portalActor(principal, request.ip), 'portal.sign_out_everywhere', `portal_user:${principal.userId}`, { sessions: ended }, ctx.clock());
    clearSessionCookie(request, reply);
    return reply.redirect('/portal/login?done=signed_out_everywhere', 303);
  });
}
