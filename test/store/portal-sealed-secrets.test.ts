import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { SecretBox } from '../../src/domain/secret-box.js';
import { findPortalUser, updatePortalUser } from '../../src/store/portal-users.js';
import { findAnySealedSecret, resealAllSecrets } from '../../src/store/sealed-secrets.js';
import { createTestGateway } from '../helpers/gateway.js';
import { addPortalUser } from '../helpers/portal.js';

test('a portal user’s sealed TOTP secret is re-sealed by a key rotation', async (t) => {
  const gw = await createTestGateway();
  t.after(() => gw.close());
  const user = await addPortalUser(gw, { role: 'owner' });
  await updatePortalUser(gw.store.db, user.userId, { totp_secret_sealed: gw.secrets.seal('JBSWY3DPEHPK3PXP'), updated_at: Date.now() });
  const next = new SecretBox(randomBytes(32));
  const count = await gw.store.db.transaction().execute((trx) => resealAllSecrets(trx, (sealed) => next.seal(gw.secrets.open(sealed))));
  assert.ok(count >= 2, 'the merchant’s api key and the TOTP secret');
  const sealed = (await findPortalUser(gw.store.db, user.userId))?.totp_secret_sealed as string;
  assert.equal(next.open(sealed), 'JBSWY3DPEHPK3PXP');
  assert.throws(() => gw.secrets.open(sealed));
  assert.ok(await findAnySealedSecret(gw.store.db));
});
