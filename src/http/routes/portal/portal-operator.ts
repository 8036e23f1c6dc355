import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MerchantInputError } from '../../../gateway/create-merchant.js';
import { createOrganisation } from '../../../gateway/portal/create-organisation.js';
import { describeOrganisation } from '../../../gateway/portal/describe-organisation.js';
import { portalActor, type PortalPrincipal } from '../../../gateway/portal/portal-principal.js';
import { PortalInputError } from '../../../gateway/portal/portal-input-error.js';
import { issueSetPasswordLink } from '../../../gateway/portal/set-password-link.js';
import { setOrganisationActive } from '../../../gateway/portal/set-organisation-active.js';
import { isCurrency } from '../../../domain/money.js';
import { listOrganisationSummaries } from '../../../store/organisations.js';
import { findPortalUser } from '../../../store/portal-users.js';
import { CONFIRM_AND_COPY_SCRIPT } from '../../../pages/portal/confirm-and-copy-script.js';
import { fillIn } from '../../../pages/portal/core-strings.js';
import { operatorStrings, renderCreatedBody, renderOperatorLinkBody, renderOrganisationBody, renderOrganisationsBody } from '../../../pages/portal/operator-page.js';
import type { OperatorStrings } from '../../../pages/portal/operator-strings.js';
import { portalLanguage, renderPortalPage } from '../../../pages/portal/portal-layout.js';
import { html } from '../../../pages/layout.js';
import { sendPage } from '../../security-headers.js';
import { requireOperator } from './portal-session.js';

type Form = Record<string, string | undefined>;
type Flash = { kind: 'ok' | 'bad'; text: string };
type OrgParams = { Params: { id: string } };

/** An organisation id from the path: digits only, else none. */
function organisationIdOf(text: string): number | undefined {
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/**
 * /portal/operator… (operators only): the organisations (create, disable, enable, inspect)
 * and their portal users' set-password links. An API key is shown once, in the answer to
 * "Create organisation" (no-store), never after; nothing here shows a provider secret.
 */
export async function portalOperatorRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.gateway;
  const guard = { preHandler: requireOperator() };
  const formOf = (request: FastifyRequest): Form => (request.body && typeof request.body === 'object' ? (request.body as Form) : {});

  const page = (request: FastifyRequest, reply: FastifyReply, status: number, title: (s: OperatorStrings) => string, body: (s: OperatorStrings) => ReturnType<typeof html>) => {
    const language = portalLanguage(request);
    const s = operatorStrings(language);
    return sendPage(
      reply,
      status,
      renderPortalPage({ language, principal: request.portal as PortalPrincipal, title: title(s), active: 'operator', body: body(s), scriptNonce: reply.cspNonce?.script, script: CONFIRM_AND_COPY_SCRIPT }),
    );
  };

  const showList = async (request: FastifyRequest, reply: FastifyReply, status: number, extra: { flash?: Flash; form?: { name: string; currency: string; test: boolean; ownerEmail: string } } = {}) => {
    const organisations = await listOrganisationSummaries(ctx.store.db);
    return page(request, reply, status, (s) => s.title, (s) => renderOrganisationsBody({ s, principal: request.portal as PortalPrincipal, organisations, ...extra }));
  };

  const notFound = (request: FastifyRequest, reply: FastifyReply) =>
    page(request, reply, 404, (s) => s.notFound, (s) => html`<h1>${s.notFound}</h1><p><a href="/portal/operator">${s.back}</a></p>`);

  const flashOf = async (query: { done?: string; org?: string; users?: string; sessions?: string }, s: OperatorStrings): Promise<Flash | undefined> => {
    const id = organisationIdOf(query.org ?? '');
    if ((query.done !== 'disabled' && query.done !== 'enabled') || id === undefined) return undefined;
    const detail = await describeOrganisation(ctx.store.db, id);
    if (!detail) return undefined;
    const count = (text: string | undefined) => (/^\d{1,6}$/.test(text ?? '') ? Number(text) : 0);
    return query.done === 'disabled'
      ? { kind: 'ok', text: fillIn(s.disabledNow, { name: detail.name, users: count(query.users), sessions: count(query.sessions) }) }
      : { kind: 'ok', text: fillIn(s.enabledNow, { name: detail.name }) };
  };

  app.get<{ Querystring: { done?: string; org?: string; users?: string; sessions?: string } }>('/portal/operator', guard, async (request, reply) => {
    const s = operatorStrings(portalLanguage(request));
    return showList(request, reply, 200, { flash: await flashOf(request.query, s) });
  });

  app.post('/portal/operator/organisations', guard, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const s = operatorStrings(portalLanguage(request));
    const form = formOf(request);
    const input = { name: (form.name ?? '').trim(), currency: (form.currency ?? '').trim().toUpperCase(), test: form.mode !== 'live', ownerEmail: (form.owner_email ?? '').trim() };
    const refuse = (status: number, text: string) => showList(request, reply, status, { flash: { kind: 'bad', text }, form: input });
    if (!input.name || input.name.length > 200) return refuse(400, s.refused.bad_name);
    if (!isCurrency(input.currency)) return refuse(400, s.refused.bad_currency);
    try {
      const created = await createOrganisation(ctx, { name: input.name, currency: input.currency, test: input.test, ownerEmail: input.ownerEmail || undefined }, portalActor(principal, request.ip));
      const ownerProblem = created.ownerProblem ? s.refused[created.ownerProblem.problem === 'email_taken' ? 'email_taken' : 'bad_email'] : undefined;
      // The api_key is in this answer only: no-store (set by the guard), never shown again.
      return page(request, reply, 201, (t) => t.createdTitle, (t) => renderCreatedBody({ s: t, created, ownerProblem }));
    } catch (error) {
      if (error instanceof PortalInputError) return refuse(error.problem === 'email_taken' ? 409 : 400, s.refused[error.problem === 'email_taken' ? 'email_taken' : 'bad_email']);
      if (error instanceof MerchantInputError) return refuse(400, error.message);
      throw error;
    }
  });

  app.get<OrgParams & { Querystring: { done?: string; users?: string; sessions?: string } }>('/portal/operator/organisations/:id', guard, async (request, reply) => {
    const id = organisationIdOf(request.params.id);
    const detail = id === undefined ? undefined : await describeOrganisation(ctx.store.db, id);
    if (!detail) return notFound(request, reply);
    const s = operatorStrings(portalLanguage(request));
    const flash = await flashOf({ ...request.query, org: request.params.id }, s);
    return page(request, reply, 200, () => detail.name, (t) => renderOrganisationBody({ s: t, principal: request.portal as PortalPrincipal, detail, flash }));
  });

  for (const [verb, active] of [['disable', false], ['enable', true]] as const) {
    app.post<OrgParams>(`/portal/operator/organisations/:id/${verb}`, guard, async (request, reply) => {
      const principal = request.portal as PortalPrincipal;
      const id = organisationIdOf(request.params.id);
      if (id === undefined) return notFound(request, reply);
      try {
        const done = await setOrganisationActive(ctx, id, active, portalActor(principal, request.ip));
        const back = formOf(request).back === 'organisation' ? `/portal/operator/organisations/${id}?` : `/portal/operator?org=${id}&`;
        return reply.redirect(`${back}done=${active ? 'enabled' : 'disabled'}&users=${done.apiUsers.length}&sessions=${done.sessionsEnded}`, 303);
      } catch (error) {
        if (error instanceof MerchantInputError) return notFound(request, reply);
        throw error;
      }
    });
  }

  app.post<{ Params: { id: string; userId: string } }>('/portal/operator/organisations/:id/users/:userId/reset-password', guard, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const id = organisationIdOf(request.params.id);
    const user = id === undefined ? undefined : await findPortalUser(ctx.store.db, request.params.userId);
    if (id === undefined || !user || Number(user.organisation_id) !== id || Number(user.active) !== 1) {
      return page(request, reply, 404, (s) => s.notFound, (s) => html`<h1>${s.refused.unknown_user}</h1><p><a href="/portal/operator">${s.back}</a></p>`);
    }
    const url = await issueSetPasswordLink(ctx, user.id, portalActor(principal, request.ip));
    return page(request, reply, 200, (s) => s.resetTitle, (s) => renderOperatorLinkBody({ s, organisationId: id, email: user.email, url }));
  });
}
