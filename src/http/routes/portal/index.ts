import type { FastifyInstance } from 'fastify';
import { SignInThrottle, SIGN_IN_LIMITS } from '../../../gateway/portal/sign-in-throttle.js';
import { LANGUAGE_COOKIE, usePortalBranding } from '../../../pages/portal/portal-layout.js';
import { readCookie, setCookie } from '../../cookies.js';
import { portalAccountRoutes } from './portal-account.js';
import { portalAssetRoutes } from './portal-assets.js';
import { portalAuthRoutes } from './portal-auth.js';
import { portalBalanceRoutes } from './portal-balance.js';
import { secureCookies } from './portal-csrf.js';
import { portalAuditRoutes } from './portal-audit.js';
import { portalDashboardRoutes } from './portal-dashboard.js';
import { portalDevelopersRoutes } from './portal-developers.js';
import { portalOperatorRoutes } from './portal-operator.js';
import { portalPaymentLinksRoutes } from './portal-payment-links.js';
import { usePortalSecurity } from './portal-security.js';
import { portalUsersRoutes } from './portal-users.js';
import { portalTransactionsRoutes } from './portal-transactions.js';

/**
 * The merchant portal at /portal (docs/portal.md), registered by app.ts in the HTML pages'
 * scope. Each area is one plugin, registered here with one line.
 */
export async function portalRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.gateway;
  usePortalBranding(ctx.config);
  usePortalSecurity(app, ctx.config);
  app.decorateRequest('portal', undefined);
  // A language chosen with ?lang= is remembered for the next pages.
  app.addHook('onRequest', async (request, reply) => {
    const lang = (request.query as { lang?: unknown } | undefined)?.lang;
    if ((lang === 'en' || lang === 'zh') && readCookie(request, LANGUAGE_COOKIE) !== lang) {
      setCookie(reply, LANGUAGE_COOKIE, lang, { path: '/portal', maxAge: 365 * 86_400, httpOnly: true, secure: secureCookies(request), sameSite: 'Lax' });
    }
  });
  const throttle = new SignInThrottle({ ...SIGN_IN_LIMITS, pool: ctx.store.parts.pool, log: ctx.log });

  await app.register(portalAssetRoutes);
  await app.register(portalAuthRoutes, { throttle });
  await app.register(portalAccountRoutes, { throttle });
  await app.register(portalDashboardRoutes);
  await app.register(portalBalanceRoutes);
  await app.register(portalPaymentLinksRoutes);
  await app.register(portalDevelopersRoutes);
  await app.register(portalUsersRoutes);
  await app.register(portalAuditRoutes);
  await app.register(portalOperatorRoutes);
  await app.register(portalTransactionsRoutes);
}
