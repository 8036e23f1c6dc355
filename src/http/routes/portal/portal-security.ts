import type { FastifyInstance } from 'fastify';
import type { Config } from '../../../config.js';
import { pageStyleSource } from '../../../pages/theme.js';
import { pageDirectives } from '../../security-headers.js';

/**
 * The portal's Content-Security-Policy: like the payment pages' (security-headers.ts), but
 * the stylesheet is a file of ours (`style-src 'self'`, /portal/assets/portal.css), and
 * scripts run only with the response's nonce; Referrer-Policy same-origin. The payment pages' inline style stays allowed
 * by its hash, for the error pages the portal shares with them.
 */
export function portalDirectives(config: Config): Record<string, string[]> {
  return { ...pageDirectives(config), 'style-src': ["'self'", pageStyleSource(config)] };
}

/**
 * Every route registered in `scope` after this call (the portal's plugins) answers its
 * errors as pages and gets the portal's policy instead of the payment pages', unless its
 * own config says otherwise (`html: false` for a JSON route).
 */
export function usePortalSecurity(scope: FastifyInstance, config: Config): void {
  const helmet = {
    contentSecurityPolicy: { useDefaults: false, directives: portalDirectives(config) },
    // Not no-referrer as on the payment pages: under it browsers send `Origin: null` with a
    // form's POST, and the portal checks Origin. URLs (a set-password token) still never
    // leave for another site.
    referrerPolicy: { policy: 'same-origin' as const },
  };
  scope.addHook('onRoute', (route) => {
    const own = (route.config ?? {}) as { html?: boolean; helmet?: unknown };
    route.config = { ...own, html: own.html ?? true, helmet: own.helmet ?? helmet } as typeof route.config;
  });
}
