import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkMemberChange, type Member } from '../../src/domain/portal-member-change.js';

const owner = { userId: 'owner-1', role: 'owner' } as const;
const admin = { userId: 'admin-1', role: 'admin' } as const;
const member = (userId: string, role: Member['role'], active = true): Member => ({ userId, role, active });

test('an admin manages everyone but owners, and makes nobody owner', () => {
  const dev = member('dev-1', 'developer');
  assert.equal(checkMemberChange(admin, dev, { kind: 'role', role: 'support' }, ['owner-1']), null);
  assert.equal(checkMemberChange(admin, dev, { kind: 'remove' }, ['owner-1']), null);
  assert.equal(checkMemberChange(admin, dev, { kind: 'role', role: 'admin' }, ['owner-1']), null);
  assert.equal(checkMemberChange(admin, dev, { kind: 'role', role: 'owner' }, ['owner-1']), 'owner_only');
  const theOwner = member('owner-1', 'owner');
  assert.equal(checkMemberChange(admin, theOwner, { kind: 'remove' }, ['owner-1', 'owner-2']), 'owner_only');
  assert.equal(checkMemberChange(admin, theOwner, { kind: 'role', role: 'viewer' }, ['owner-1', 'owner-2']), 'owner_only');
});

test('an owner makes, demotes and removes owners while another active owner remains', () => {
  const second = member('owner-2', 'owner');
  assert.equal(checkMemberChange(owner, member('dev-1', 'developer'), { kind: 'role', role: 'owner' }, ['owner-1']), null);
  assert.equal(checkMemberChange(owner, second, { kind: 'role', role: 'admin' }, ['owner-1', 'owner-2']), null);
  assert.equal(checkMemberChange(owner, second, { kind: 'remove' }, ['owner-1', 'owner-2']), null);
  // The other owner was demoted meanwhile (read under the lock): the target is the last one.
  assert.equal(checkMemberChange(owner, second, { kind: 'remove' }, ['owner-2']), 'last_owner');
  assert.equal(checkMemberChange(owner, second, { kind: 'role', role: 'viewer' }, ['owner-2']), 'last_owner');
  // Keeping an owner an owner takes no owner away.
  assert.equal(checkMemberChange(owner, second, { kind: 'role', role: 'owner' }, ['owner-2']), null);
});

test('nobody changes their own role or removes themselves; a removed member is left alone', () => {
  assert.equal(checkMemberChange(owner, member('owner-1', 'owner'), { kind: 'role', role: 'admin' }, ['owner-1', 'owner-2']), 'self');
  assert.equal(checkMemberChange(admin, member('admin-1', 'admin'), { kind: 'role', role: 'owner' }, ['owner-1']), 'self');
  assert.equal(checkMemberChange(admin, member('admin-1', 'admin'), { kind: 'remove' }, ['owner-1']), 'self');
  assert.equal(checkMemberChange(owner, member('dev-1', 'developer', false), { kind: 'role', role: 'admin' }, ['owner-1']), 'inactive');
});

test('a set-password link for an owner is the owners’ to give; for anyone else an admin gives it', () => {
  assert.equal(checkMemberChange(admin, member('owner-1', 'owner'), { kind: 'reset_password' }, ['owner-1']), 'owner_only');
  assert.equal(checkMemberChange(owner, member('owner-2', 'owner'), { kind: 'reset_password' }, ['owner-1', 'owner-2']), null);
  assert.equal(checkMemberChange(admin, member('dev-1', 'developer'), { kind: 'reset_password' }, ['owner-1']), null);
  assert.equal(checkMemberChange(admin, member('dev-1', 'developer', false), { kind: 'reset_password' }, ['owner-1']), 'inactive');
});
