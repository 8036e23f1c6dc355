import { isPortalRole } from '../../domain/portal-roles.js';
import {
  deleteExpiredPortalSessions,
  deletePortalSession,
  deletePortalSessionsOfUser,
  findPortalSession,
  insertPortalSession,
  touchPortalSession,
} from '../../store/portal-sessions.js';
import type { GatewayContext } from '../context.js';
import type { PortalPrincipal } from './portal-principal.js';
import { hashPortalToken, newPortalToken } from './portal-tokens.js';

/** A session ends after this long without a request… */
export const SESSION_IDLE_MS = 2 * 3_600_000;
/** …and this long after sign-in, whatever happens. */
export const SESSION_ABSOLUTE_MS = 12 * 3_600_000;
/** last_seen_at is written at most this often (a page with several requests costs one write). */
export const SESSION_TOUCH_MS = 60_000;

export interface StartedSession {
  /** The cookie's value; only its hash is stored. */
  token: string;
  id: string;
  expiresAt: number;
}

/**
 * Starts a session for a user who has just signed in, and clears away the sessions that
 * can no longer be used (of anyone: a session nobody comes back to is found dead only here).
 */
export async function startPortalSession(ctx: GatewayContext, userId: string, client: { address: string; userAgent: string }): Promise<StartedSession> {
  const now = ctx.clock();
  await deleteExpiredPortalSessions(ctx.store.db, now, now - SESSION_IDLE_MS);
  const token = newPortalToken();
  const id = hashPortalToken(token);
  const expiresAt = now + SESSION_ABSOLUTE_MS;
  await insertPortalSession(ctx.store.db, {
    id,
    user_id: userId,
    csrf_token: newPortalToken(),
    created_at: now,
    last_seen_at: now,
    expires_at: expiresAt,
    address: client.address.slice(0, 64),
    user_agent: client.userAgent.slice(0, 512),
  });
  return { token, id, expiresAt };
}

/**
 * The principal of a session cookie's token, when the session is alive (neither idle too
 * long nor past its absolute expiry), its user active with a password, and its organisation
 * active (an operator has none). A dead session is deleted. One read per request; one
 * write at most once a minute.
 */
export async function loadPortalSession(ctx: GatewayContext, token: string): Promise<PortalPrincipal | undefined> {
  if (token.length === 0 || token.length > 128) return undefined;
  const id = hashPortalToken(token);
  const session = await findPortalSession(ctx.store.db, id);
  if (!session) return undefined;
  const now = ctx.clock();
  if (now >= session.expires_at || now - session.last_seen_at >= SESSION_IDLE_MS) {
    await deletePortalSession(ctx.store.db, id);
    return undefined;
  }
  const role = session.role;
  const operator = role === 'operator';
  if (session.user_active !== 1 || session.password_hash === null) return undefined;
  if (operator ? session.organisation_id !== null : !isPortalRole(role) || session.organisation_active !== 1) return undefined;
  if (now - session.last_seen_at >= SESSION_TOUCH_MS) await touchPortalSession(ctx.store.db, id, now);
  return {
    userId: session.user_id,
    email: session.email,
    role: operator ? 'operator' : (role as PortalPrincipal['role']),
    organisationId: session.organisation_id,
    organisationName: session.organisation_name ?? '',
    sessionId: id,
    csrfToken: session.csrf_token,
  };
}

/** Signs out: the session of this cookie's token ends. */
export async function endPortalSession(ctx: GatewayContext, token: string): Promise<void> {
  await deletePortalSession(ctx.store.db, hashPortalToken(token));
}

/** Signs a user out everywhere (every browser); `exceptSessionId` keeps one (after a password change). */
export async function endAllPortalSessions(ctx: GatewayContext, userId: string, exceptSessionId?: string): Promise<number> {
  return deletePortalSessionsOfUser(ctx.store.db, userId, exceptSessionId);
}
