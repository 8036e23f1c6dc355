import { can, type PortalRole } from './portal-roles.js';

/** A member of an organisation as the rule sees them. */
export interface Member {
  readonly userId: string;
  readonly role: PortalRole;
  readonly active: boolean;
}

/** What a user manager asks for: a new role, the member's removal, or a set-password link for them. */
export type MemberChange = { readonly kind: 'role'; readonly role: PortalRole } | { readonly kind: 'remove' } | { readonly kind: 'reset_password' };

/**
 * Why a change is refused: `self` (nobody changes their own role or removes themselves),
 * `owner_only` (only an owner makes, demotes or removes an owner, or gets a set-password
 * link for one: whoever sets an owner's password signs in as that owner), `last_owner` (an
 * organisation keeps at least one active owner), `inactive` (the member was removed).
 */
export type MemberChangeRefusal = 'self' | 'owner_only' | 'last_owner' | 'inactive';

/**
 * Whether `actor` (a member allowed to manage users) may make `change` to `target`, given
 * the ids of the organisation's active owners. Null: allowed. Pure; the caller reads the
 * owners under a lock so that two changes at once cannot both take the last one.
 */
export function checkMemberChange(actor: Pick<Member, 'userId' | 'role'>, target: Member, change: MemberChange, activeOwnerIds: readonly string[]): MemberChangeRefusal | null {
  if (change.kind === 'reset_password') {
    if (!target.active) return 'inactive';
    return target.role === 'owner' && !can(actor.role, 'remove_owner') ? 'owner_only' : null;
  }
  if (actor.userId === target.userId) return 'self';
  if (!target.active) return 'inactive';
  const touchesOwner = target.role === 'owner' || (change.kind === 'role' && change.role === 'owner');
  if (touchesOwner && !can(actor.role, 'remove_owner')) return 'owner_only';
  const losesOwner = target.role === 'owner' && (change.kind === 'remove' || change.role !== 'owner');
  if (losesOwner && !activeOwnerIds.some((id) => id !== target.userId)) return 'last_owner';
  return null;
}
