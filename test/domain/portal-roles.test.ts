import assert from 'node:assert/strict';
import { test } from 'node:test';
import { can, isPortalRole, PORTAL_ACTIONS, PORTAL_ROLES, type PortalAction, type PortalRole } from '../../src/domain/portal-roles.js';

// The whole matrix, written out as the shared design states it: a change to who may do what
// must change this table too.
const EXPECTED: Record<PortalAction, PortalRole[]> = {
  read: ['owner', 'admin', 'developer', 'support', 'viewer'],
  export: ['owner', 'admin', 'developer', 'support', 'viewer'],
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

test('every role and action answers as the matrix says', () => {
  assert.deepEqual([...PORTAL_ACTIONS].sort(), Object.keys(EXPECTED).sort());
  for (const action of PORTAL_ACTIONS) {
    for (const role of PORTAL_ROLES) {
      assert.equal(can(role, action), EXPECTED[action].includes(role), `${role} ${action}`);
    }
  }
});

test('a viewer may only read and export; an unknown action or role is refused', () => {
  assert.deepEqual(PORTAL_ACTIONS.filter((a) => can('viewer', a)), ['read', 'export']);
  assert.equal(can('owner', 'fly' as PortalAction), false);
  assert.equal(can('operator' as PortalRole, 'read'), false);
  assert.equal(isPortalRole('operator'), false);
  assert.equal(isPortalRole('support'), true);
});
