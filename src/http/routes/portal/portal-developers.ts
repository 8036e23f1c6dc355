import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { can } from '../../../domain/portal-roles.js';
import { explainSignature, findSignedEndpoint } from '../../../domain/signature-helper.js';
import { formatWireTime } from '../../../domain/time.js';
import { describeIntegration } from '../../../gateway/describe-integration.js';
import { portalActor, type PortalPrincipal } from '../../../gateway/portal/portal-principal.js';
import { PORTAL_GRACE_CHOICES, rotateOrganisationKey } from '../../../gateway/rotate-organisation-key.js';
import type { RawHtml } from '../../../pages/layout.js';
import { COPY_SCRIPT } from '../../../pages/portal/copy-script.js';
import { renderDevelopersBody } from '../../../pages/portal/developers-page.js';
import { DEVELOPERS_STRINGS } from '../../../pages/portal/developers-strings.js';
import { csrfField, portalLanguage, renderPortalPage } from '../../../pages/portal/portal-layout.js';
import { renderRotatedKeyBody } from '../../../pages/portal/rotated-key-page.js';
import { renderSignatureHelperBody } from '../../../pages/portal/signature-helper-page.js';
import { originOf } from '../../origin.js';
import { sendPage } from '../../security-headers.js';
import { requirePortal } from './portal-session.js';

/**
 * The portal's Developers area (docs/portal.md#developers): the integration parameters,
 * provider status and callback health (`read`), Rotate API key (`manage_keys`: the new key
 * is shown once, on the answer to the POST, with Cache-Control: no-store, and never
 * logged), and the signature helper (`signature_helper`), which never needs the key.
 */
export async function portalDevelopersRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.gateway;
  const time = (ms: number) => formatWireTime(ms, ctx.config.timeZoneOffsetMinutes);
  const organisationOf = (request: FastifyRequest) => (request.portal as PortalPrincipal).organisationId as number;
  const allowed = (principal: PortalPrincipal, action: 'manage_keys' | 'signature_helper') => principal.role !== 'operator' && can(principal.role, action);

  const send = (request: FastifyRequest, reply: FastifyReply, status: number, title: string, body: RawHtml, script?: string) => {
    const page = renderPortalPage({ language: portalLanguage(request), principal: request.portal as PortalPrincipal, title, active: 'developers', body, scriptNonce: reply.cspNonce?.script, script });
    return sendPage(reply, status, page);
  };
  const developersPage = async (request: FastifyRequest, reply: FastifyReply, status: number, flash?: { text: string; error?: boolean }) => {
    const language = portalLanguage(request);
    const principal = request.portal as PortalPrincipal;
    const overview = await describeIntegration(ctx, organisationOf(request));
    const body = renderDevelopersBody({
      language,
      csrf: csrfField(principal),
      overview,
      canRotate: allowed(principal, 'manage_keys'),
      canSign: allowed(principal, 'signature_helper'),
      time,
      now: ctx.clock(),
      flash,
    });
    return send(request, reply, status, DEVELOPERS_STRINGS[language].title, body);
  };

  app.get('/portal/developers', { preHandler: requirePortal('read') }, async (request, reply) => developersPage(request, reply, 200));

  app.post<{ Params: { userId: string } }>('/portal/developers/users/:userId/rotate-key', { preHandler: requirePortal('manage_keys') }, async (request, reply) => {
    const t = DEVELOPERS_STRINGS[portalLanguage(request)];
    const body = (request.body ?? {}) as Record<string, unknown>;
    const grace = PORTAL_GRACE_CHOICES.find((s) => String(s) === body.grace_seconds);
    if (grace === undefined) return developersPage(request, reply, 400, { text: t.errGrace, error: true });
    const principal = request.portal as PortalPrincipal;
    const rotated = await rotateOrganisationKey(ctx, organisationOf(request), request.params.userId, grace, portalActor(principal, originOf(request).address));
    if (!rotated) return developersPage(request, reply, 404, { text: t.notFound, error: true });
    // The key is in this answer only: not cached by anything, not in a redirect, not logged.
    reply.header('cache-control', 'no-store');
    return send(request, reply, 200, t.newKeyTitle, renderRotatedKeyBody({ language: portalLanguage(request), rotated, time }), COPY_SCRIPT);
  });

  app.get('/portal/developers/signature', { preHandler: requirePortal('signature_helper') }, async (request, reply) => {
    const language = portalLanguage(request);
    const body = renderSignatureHelperBody({ language, csrf: csrfField(request.portal as PortalPrincipal) });
    return send(request, reply, 200, DEVELOPERS_STRINGS[language].helperTitle, body);
  });

  // A computation, not a change: the answer is the result itself (no redirect), never cached.
  app.post('/portal/developers/signature', { preHandler: requirePortal('signature_helper') }, async (request, reply) => {
    const language = portalLanguage(request);
    const form = (request.body ?? {}) as Record<string, unknown>;
    const endpointId = typeof form.endpoint === 'string' ? form.endpoint : '';
    const pasted = typeof form.request === 'string' ? form.request : '';
    const endpoint = findSignedEndpoint(endpointId);
    const outcome = endpoint ? explainSignature(endpoint, pasted) : { problem: 'endpoint' as const };
    reply.header('cache-control', 'no-store');
    const body = renderSignatureHelperBody({ language, csrf: csrfField(request.portal as PortalPrincipal), endpointId, pasted, outcome });
    return send(request, reply, 'problem' in outcome ? 422 : 200, DEVELOPERS_STRINGS[language].helperTitle, body);
  });
}
