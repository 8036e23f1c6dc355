import { appendAuditEvent } from '../store/audit-events.js';
import type { Db } from '../store/store.js';

/** Who acted and from where: `cli:<os user>@<host>` from `cli`, or a merchant's user_id from its address. */
export interface Actor {
  readonly actor: string;
  readonly source: string;
  /** The organisation a portal user acted for (its portal's audit log shows the event); null or absent: none. */
  readonly organisationId?: number | null;
}

/** The gateway itself, acting on what a provider said (e.g. a late payment it could not give back). */
export const PROVIDER_REPORT_ACTOR: Actor = { actor: 'gateway', source: 'provider report' };

export type AuditAction =
  | 'merchant.create'
  | 'merchant.disable'
  | 'merchant.enable'
  | 'merchant.rotate_key'
  | 'merchant.set'
  | 'rates.set'
  | 'callbacks.resend'
  | 'secret.rotate'
  | 'refund.create'
  | 'order.cancel'
  | 'order.settle'
  | 'order.reversal_failed'
  | 'provider.set'
  | 'provider.remove'
  | 'invoice.create'
  | 'invoice.update'
  | 'invoice.delete'
  | 'portal_user.create'
  | 'portal_user.reset_password'
  | 'portal_user.set_password'
  | 'portal_user.change_role'
  | 'portal_user.remove'
  | 'organisation.disable'
  | 'organisation.enable'
  | 'portal.sign_in'
  | 'portal.sign_in_failed'
  | 'portal.sign_out_everywhere'
  | 'portal.totp_enable'
  | 'portal.totp_disable';

/**
 * Records an operator's or merchant's action in the audit log, in the caller's transaction
 * when there is one (the action and its record commit together), under the organisation it
 * concerns when there is one (`organisationId`, by default the actor's). `details` must never
 * hold a secret: keys are named by what they are, not shown.
 */
export async function recordAudit(
  db: Db,
  by: Actor,
  action: AuditAction,
  target: string,
  details: Record<string, unknown>,
  now: number,
  organisationId: number | null | undefined = by.organisationId,
): Promise<void> {
  await appendAuditEvent(db, { at: now, actor: by.actor, source: by.source, action, target, details: JSON.stringify(details), organisation_id: organisationId ?? null });
}
