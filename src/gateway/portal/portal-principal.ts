import type { PortalRole } from '../../domain/portal-roles.js';
import type { Actor } from '../audit.js';

/** Who a portal request comes from: a signed-in member of an organisation, or an operator. */
export interface PortalPrincipal {
  userId: string;
  email: string;
  role: PortalRole | 'operator';
  /** null for operators. */
  organisationId: number | null;
  /** '' for operators. */
  organisationName: string;
  /** The session's id (the SHA-256 of its cookie token, never the token). */
  sessionId: string;
  csrfToken: string;
}

/** The audit log's actor for a portal user's action: `portal:<email>` from the client's address. */
export function portalActor(principal: Pick<PortalPrincipal, 'email' | 'organisationId'>, address: string): Actor {
  return { actor: `portal:${principal.email}`, source: address, organisationId: principal.organisationId };
}
