import { randomBytes } from 'node:crypto';
import { isPortalRole, PORTAL_ROLES, type PortalRole } from '../../domain/portal-roles.js';
import { findOrganisationStatus, findPortalUserByEmail, insertPortalUser } from '../../store/portal-users.js';
import { isUniqueViolation } from '../../store/store.js';
import { recordAudit, type Actor } from '../audit.js';
import type { GatewayContext } from '../context.js';
import { PortalInputError } from './portal-input-error.js';
import { issueLinkIn } from './set-password-link.js';

export interface CreatedPortalUser {
  userId: string;
  email: string;
  role: string;
  /** One-time: PUBLIC_URL/portal/set-password/<token>, valid 72 h. */
  setPasswordUrl: string;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** An email as stored (trimmed, lowercased), or a PortalInputError. */
export function normaliseEmail(email: string): string {
  const value = email.trim().toLowerCase();
  if (value.length > 254 || !EMAIL.test(value)) throw new PortalInputError('bad_email', `not an email address: ${JSON.stringify(email)}`);
  return value;
}

/**
 * Creates a portal user with no password, and the one-time link with which they set it
 * (there is no mail server: whoever creates the user passes the link on). An operator
 * (`role: 'operator'`) belongs to no organisation; a member to an existing one.
 */
export async function createPortalUser(
  ctx: GatewayContext,
  input: { organisationId: number | null; email: string; role: PortalRole | 'operator' },
  by: Actor,
): Promise<CreatedPortalUser> {
  const email = normaliseEmail(input.email);
  const role = input.role;
  if (role !== 'operator' && !isPortalRole(role)) {
    throw new PortalInputError('bad_role', `role must be one of ${PORTAL_ROLES.join(', ')}, got ${JSON.stringify(role)}`);
  }
  if (role === 'operator' && input.organisationId !== null) throw new PortalInputError('operator_has_no_organisation', 'an operator belongs to no organisation');
  if (role !== 'operator') {
    if (input.organisationId === null || !(await findOrganisationStatus(ctx.store.db, input.organisationId))) {
      throw new PortalInputError('unknown_organisation', `no organisation ${input.organisationId ?? '(none given)'}`);
    }
  }
  if (await findPortalUserByEmail(ctx.store.db, email)) throw new PortalInputError('email_taken', `a portal user with the email ${email} exists already`);
  const now = ctx.clock();
  const userId = `pu_${randomBytes(10).toString('hex')}`;
  try {
    const setPasswordUrl = await ctx.store.db.transaction().execute(async (trx) => {
      await insertPortalUser(trx, {
        id: userId,
        organisation_id: role === 'operator' ? null : input.organisationId,
        email,
        role,
        password_hash: null,
        totp_secret_sealed: null,
        created_at: now,
        updated_at: now,
      });
      const url = await issueLinkIn(trx, ctx.config.publicUrl, userId, now);
      await recordAudit(trx, by, 'portal_user.create', `portal_user:${userId}`, { email, role }, now, role === 'operator' ? null : input.organisationId);
      return url;
    });
    return { userId, email, role, setPasswordUrl };
  } catch (error) {
    if (isUniqueViolation(error)) throw new PortalInputError('email_taken', `a portal user with the email ${email} exists already`);
    throw error;
  }
}
