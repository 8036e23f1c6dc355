/**
 * Who may do what in the merchant portal (docs/portal.md#roles). Pure: every portal route
 * asks `can` on the server before it acts; the nav only hides what a role cannot open.
 */
export type PortalRole = 'owner' | 'admin' | 'developer' | 'support' | 'viewer';

export type PortalAction =
  | 'read'
  | 'export' // everyone
  | 'refund'
  | 'cancel' // owner, admin, support
  | 'resend_callback' // owner, admin, developer, support
  | 'manage_payment_links' // owner, admin, developer, support
  | 'manage_keys'
  | 'manage_providers'
  | 'signature_helper' // owner, admin, developer
  | 'manage_users'
  | 'view_audit' // owner, admin
  | 'remove_owner'; // owner only (an admin does everything but remove or demote the owner)

export const PORTAL_ROLES: readonly PortalRole[] = ['owner', 'admin', 'developer', 'support', 'viewer'];

const EVERYONE: readonly PortalRole[] = PORTAL_ROLES;
const ALLOWED: Readonly<Record<PortalAction, readonly PortalRole[]>> = {
  read: EVERYONE,
  export: EVERYONE,
  refund: ['owner', 'admin', 'support'],
  cancel: ['owner', 'admin', 'support'],
  resend_callback: ['owner', 'admin', 'developer', 'support'],
  manage_payment_links: ['owner', 'admin', 'developer', 'support'],
  manage_keys: ['owner', 'admin', 'developer'],
  manage_providers: ['owner', 'admin', 'developer'],
  signature_helper: ['owner', 'admin', 'developer'],
  manage_users: ['owner', 'admin'],
  view_audit: ['owner', 'admin'],
  remove_owner: ['owner'],
};

export const PORTAL_ACTIONS = Object.keys(ALLOWED) as readonly PortalAction[];

/** Whether a member with `role` may do `action`. */
export function can(role: PortalRole, action: PortalAction): boolean {
  return ALLOWED[action]?.includes(role) ?? false;
}

export function isPortalRole(value: string): value is PortalRole {
  return (PORTAL_ROLES as readonly string[]).includes(value);
}
