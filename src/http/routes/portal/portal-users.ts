import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { MemberChange } from '../../../domain/portal-member-change.js';
import { can, isPortalRole, type PortalRole } from '../../../domain/portal-roles.js';
import { changePortalMember, MemberChangeRefused, type MemberChangeResult } from '../../../gateway/portal/change-portal-member.js';
import { createPortalUser } from '../../../gateway/portal/create-portal-user.js';
import { portalActor, type PortalPrincipal } from '../../../gateway/portal/portal-principal.js';
import { PortalInputError } from '../../../gateway/portal/portal-input-error.js';
import { listPortalMembers } from '../../../store/portal-members.js';
import { CONFIRM_AND_COPY_SCRIPT } from '../../../pages/portal/confirm-and-copy-script.js';
import { fillIn } from '../../../pages/portal/core-strings.js';
import { portalLanguage, renderPortalPage } from '../../../pages/portal/portal-layout.js';
import { renderLinkBody, renderUsersBody, usersStrings } from '../../../pages/portal/users-page.js';
import type { UsersStrings } from '../../../pages/portal/users-strings.js';
import { sendPage } from '../../security-headers.js';
import { requirePortal, sendForbidden } from './portal-session.js';

type Form = Record<string, string | undefined>;
type Flash = { kind: 'ok' | 'bad'; text: string };

/** The HTTP status of each refusal: the owner rule's 403, the others a conflict with what is there. */
const REFUSAL_STATUS: Record<MemberChangeRefused['refusal'], number> = { owner_only: 403, forbidden: 403, self: 409, last_owner: 409, inactive: 409, not_found: 404 };

/**
 * /portal/users (owner, admin: `manage_users`): the organisation's portal users; invite one
 * (the answer shows the one-time set-password link, once), change a role, reset a password
 * (a new link), remove one (disabled, signed out). Every change is decided on the server by
 * the owner rule (domain/portal-member-change.ts) and audited under the organisation.
 */
export async function portalUsersRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.gateway;
  const guard = { preHandler: requirePortal('manage_users') };
  const formOf = (request: FastifyRequest): Form => (request.body && typeof request.body === 'object' ? (request.body as Form) : {});

  const show = async (request: FastifyRequest, reply: FastifyReply, status: number, extra: { flash?: Flash; invite?: { email: string; role: string } } = {}) => {
    const principal = request.portal as PortalPrincipal;
    const language = portalLanguage(request);
    const s = usersStrings(language);
    const members = await listPortalMembers(ctx.store.db, principal.organisationId as number);
    const body = renderUsersBody({ s, principal, members, mayManageOwners: can(principal.role as PortalRole, 'remove_owner'), ...extra });
    return sendPage(reply, status, renderPortalPage({ language, principal, title: s.title, active: 'users', body, scriptNonce: reply.cspNonce?.script, script: CONFIRM_AND_COPY_SCRIPT }));
  };

  const showLink = (request: FastifyRequest, reply: FastifyReply, title: (s: UsersStrings) => string, email: string, url: string) => {
    const principal = request.portal as PortalPrincipal;
    const language = portalLanguage(request);
    const s = usersStrings(language);
    // The link works once and is never shown again: this answer is the only copy (no-store, set by the guard).
    const body = renderLinkBody({ s, title: title(s), email, url });
    return sendPage(reply, 200, renderPortalPage({ language, principal, title: title(s), active: 'users', body, scriptNonce: reply.cspNonce?.script, script: CONFIRM_AND_COPY_SCRIPT }));
  };

  app.get<{ Querystring: { done?: string; user?: string; sessions?: string } }>('/portal/users', guard, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const s = usersStrings(portalLanguage(request));
    const { done, user, sessions } = request.query;
    let flash: Flash | undefined;
    if ((done === 'role' || done === 'removed') && user) {
      const member = (await listPortalMembers(ctx.store.db, principal.organisationId as number)).find((m) => m.id === user);
      if (member && done === 'role') flash = { kind: 'ok', text: fillIn(s.roleChanged, { email: member.email, role: isPortalRole(member.role) ? s.roles[member.role] : member.role }) };
      if (member && done === 'removed') flash = { kind: 'ok', text: fillIn(s.userRemoved, { email: member.email, sessions: /^\d{1,6}$/.test(sessions ?? '') ? Number(sessions) : 0 }) };
    }
    return show(request, reply, 200, { flash });
  });

  app.post('/portal/users/invite', guard, async (request, reply) => {
    const principal = request.portal as PortalPrincipal;
    const s = usersStrings(portalLanguage(request));
    const form = formOf(request);
    const email = (form.email ?? '').trim();
    const role = form.role ?? '';
    const invite = { email, role };
    if (!isPortalRole(role)) return show(request, reply, 400, { flash: { kind: 'bad', text: s.refused.bad_role }, invite });
    // Only an owner makes an owner, by invitation too.
    if (role === 'owner' && !can(principal.role as PortalRole, 'remove_owner')) return show(request, reply, 403, { flash: { kind: 'bad', text: s.refused.owner_only }, invite });
    try {
      const created = await createPortalUser(ctx, { organisationId: principal.organisationId, email, role }, portalActor(principal, request.ip));
      return showLink(request, reply, (t) => t.invitedTitle, created.email, created.setPasswordUrl);
    } catch (error) {
      if (!(error instanceof PortalInputError)) throw error;
      const problem = error.problem === 'email_taken' || error.problem === 'bad_email' ? error.problem : 'bad_role';
      return show(request, reply, problem === 'email_taken' ? 409 : 400, { flash: { kind: 'bad', text: s.refused[problem] }, invite });
    }
  });

  /** Carries out a change, or answers the refusal (and then gives back nothing). */
  const change = async (request: FastifyRequest<{ Params: { userId: string } }>, reply: FastifyReply, what: MemberChange): Promise<MemberChangeResult | undefined> => {
    const principal = request.portal as PortalPrincipal;
    const s = usersStrings(portalLanguage(request));
    try {
      return await changePortalMember(
        ctx,
        { organisationId: principal.organisationId as number, actorUserId: principal.userId, targetUserId: request.params.userId, change: what },
        portalActor(principal, request.ip),
      );
    } catch (error) {
      if (!(error instanceof MemberChangeRefused)) throw error;
      if (error.refusal === 'forbidden') await sendForbidden(request, reply, principal);
      else await show(request, reply, REFUSAL_STATUS[error.refusal], { flash: { kind: 'bad', text: s.refused[error.refusal] } });
      return undefined;
    }
  };

  app.post<{ Params: { userId: string } }>('/portal/users/:userId/role', guard, async (request, reply) => {
    const role = formOf(request).role ?? '';
    if (!isPortalRole(role)) return show(request, reply, 400, { flash: { kind: 'bad', text: usersStrings(portalLanguage(request)).refused.bad_role } });
    const result = await change(request, reply, { kind: 'role', role });
    if (!result) return reply;
    return reply.redirect(`/portal/users?done=role&user=${encodeURIComponent(request.params.userId)}`, 303);
  });

  app.post<{ Params: { userId: string } }>('/portal/users/:userId/remove', guard, async (request, reply) => {
    const result = await change(request, reply, { kind: 'remove' });
    if (result?.kind !== 'remove') return reply;
    return reply.redirect(`/portal/users?done=removed&user=${encodeURIComponent(request.params.userId)}&sessions=${result.sessionsEnded}`, 303);
  });

  app.post<{ Params: { userId: string } }>('/portal/users/:userId/reset-password', guard, async (request, reply) => {
    const result = await change(request, reply, { kind: 'reset_password' });
    if (result?.kind !== 'reset_password') return reply;
    return showLink(request, reply, (t) => t.resetTitle, result.email, result.setPasswordUrl);
  });
}
