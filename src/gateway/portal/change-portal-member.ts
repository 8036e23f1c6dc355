import { checkMemberChange, type MemberChange, type MemberChangeRefusal } from '../../domain/portal-member-change.js';
import { can, isPortalRole } from '../../domain/portal-roles.js';
import { deleteUnusedPortalLinks } from '../../store/portal-links.js';
import { lockPortalMembers } from '../../store/portal-members.js';
import { deletePortalSessionsOfUser } from '../../store/portal-sessions.js';
import { updatePortalUser } from '../../store/portal-users.js';
import { recordAudit, type Actor } from '../audit.js';
import type { GatewayContext } from '../context.js';
import { issueLinkIn } from './set-password-link.js';

/**
 * A change the owner rule (domain/portal-member-change.ts) refuses, one about nobody in the
 * organisation (`not_found`), or one by an actor no longer allowed to manage users (`forbidden`).
 */
export class MemberChangeRefused extends Error {
  constructor(readonly refusal: MemberChangeRefusal | 'not_found' | 'forbidden') {
    super(`member change refused: ${refusal}`);
    this.name = 'MemberChangeRefused';
  }
}

export type MemberChangeResult = { kind: 'role'; email: string; from: string; to: string } | { kind: 'remove'; email: string; sessionsEnded: number } | { kind: 'reset_password'; email: string; setPasswordUrl: string };

/**
 * Changes a member of `organisationId` as `actorUserId` (a member of it who may manage
 * users) asks: a new role, their removal (they are disabled, their sessions end and their
 * unused set-password links stop working), or a new set-password link (shown once, to be
 * passed on). The organisation's members are read under a lock and the actor's own role
 * is read again there, so two changes at once are decided one after the other: an
 * organisation always keeps an active owner. Audited under the organisation.
 */
export async function changePortalMember(
  ctx: GatewayContext,
  input: { organisationId: number; actorUserId: string; targetUserId: string; change: MemberChange },
  by: Actor,
): Promise<MemberChangeResult> {
  const { organisationId, change } = input;
  const now = ctx.clock();
  return ctx.store.db.transaction().execute(async (trx): Promise<MemberChangeResult> => {
    const members = await lockPortalMembers(trx, organisationId);
    const actor = members.find((m) => m.id === input.actorUserId && m.active);
    const target = members.find((m) => m.id === input.targetUserId);
    // An actor removed or demoted meanwhile acts no more; a target elsewhere is nobody here.
    if (!actor || !isPortalRole(actor.role) || !can(actor.role, 'manage_users')) throw new MemberChangeRefused('forbidden');
    if (!target || !isPortalRole(target.role)) throw new MemberChangeRefused('not_found');
    const owners = members.filter((m) => m.active && m.role === 'owner').map((m) => m.id);
    const refusal = checkMemberChange({ userId: actor.id, role: actor.role }, { userId: target.id, role: target.role, active: target.active }, change, owners);
    if (refusal) throw new MemberChangeRefused(refusal);
    const subject = `portal_user:${target.id}`;
    switch (change.kind) {
      case 'role':
        if (change.role !== target.role) {
          await updatePortalUser(trx, target.id, { role: change.role, updated_at: now });
          await recordAudit(trx, by, 'portal_user.change_role', subject, { email: target.email, from: target.role, to: change.role }, now, organisationId);
        }
        return { kind: 'role', email: target.email, from: target.role, to: change.role };
      case 'remove': {
        await updatePortalUser(trx, target.id, { active: 0, updated_at: now });
        const sessionsEnded = await deletePortalSessionsOfUser(trx, target.id);
        await deleteUnusedPortalLinks(trx, target.id);
        await recordAudit(trx, by, 'portal_user.remove', subject, { email: target.email, role: target.role, sessions_ended: sessionsEnded }, now, organisationId);
        return { kind: 'remove', email: target.email, sessionsEnded };
      }
      case 'reset_password': {
        const setPasswordUrl = await issueLinkIn(trx, ctx.config.publicUrl, target.id, now);
        await recordAudit(trx, by, 'portal_user.reset_password', subject, { email: target.email }, now, organisationId);
        return { kind: 'reset_password', email: target.email, setPasswordUrl };
      }
    }
  });
}
