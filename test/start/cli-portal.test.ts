import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cliEnvFor, runCli, type CliResult } from '../helpers/cli.js';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { cookiesOf, csrfOf, signIn, portalInject } from '../helpers/portal.js';

/**
 * `latipay portal-user …` and `latipay operator create` against the database of a gateway
 * running in process: the link they print sets the password on that gateway.
 */
describe('latipay portal-user and operator (CLI)', () => {
  let gw: TestGateway;
  let cli: (...args: string[]) => Promise<CliResult>;
  before(async () => {
    gw = await createTestGateway();
    cli = (...args) => runCli(args, cliEnvFor(gw, { PUBLIC_URL: gw.config.publicUrl }));
  });
  after(() => gw.close());

  /** Follows a set-password link on the gateway. */
  async function follow(url: string, password: string) {
    const path = new URL(url).pathname;
    const form = await gw.app.inject({ method: 'GET', url: path });
    assert.equal(form.statusCode, 200);
    return gw.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `portal_pre=${cookiesOf(form).portal_pre}` },
      payload: new URLSearchParams({ _csrf: csrfOf(form.body), password, confirm: password }).toString(),
    });
  }

  function assertRefused(result: CliResult, pattern: RegExp): void {
    assert.equal(result.code, 1, result.stdout + result.stderr);
    assert.equal(result.stdout, '');
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], pattern);
  }

  test('portal-user create --json prints email, role and a one-time link that sets the password', async () => {
    const created = await cli('portal-user', 'create', '--organisation', String(gw.merchant.organisation_id), '--email', 'Owner@Shop.test', '--role', 'owner', '--json');
    assert.equal(created.code, 0, created.stderr);
    const answer = JSON.parse(created.stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(answer).sort(), ['email', 'role', 'set_password_url']);
    assert.equal(answer.email, 'owner@shop.test');
    assert.equal(answer.role, 'owner');
    assert.match(answer.set_password_url, /^http:\/\/gateway\.test\/portal\/set-password\/[A-Za-z0-9_-]+$/);
    assert.equal((await follow(answer.set_password_url, 'shop owner password')).statusCode, 303);
    const session = await signIn(gw.app, 'owner@shop.test', 'shop owner password');
    assert.equal((await portalInject(gw.app, session, { url: '/portal' })).statusCode, 200);

    // Again, for the same email: refused.
    assertRefused(await cli('portal-user', 'create', '--organisation', String(gw.merchant.organisation_id), '--email', 'owner@shop.test', '--role', 'admin'), /^latipay: a portal user with the email owner@shop\.test exists already$/);
  });

  test('reset-password prints a new link (the text form: one line with the link); the old password keeps working until it is used', async () => {
    const reset = await cli('portal-user', 'reset-password', '--email', 'owner@shop.test');
    assert.equal(reset.code, 0, reset.stderr);
    const url = reset.stdout.split('\n').find((line) => line.startsWith('http://gateway.test/portal/set-password/'));
    assert.ok(url, reset.stdout);
    await signIn(gw.app, 'owner@shop.test', 'shop owner password');
    assert.equal((await follow(url, 'the new owner password')).statusCode, 303);
    await signIn(gw.app, 'owner@shop.test', 'the new owner password');
    assertRefused(await cli('portal-user', 'reset-password', '--email', 'nobody@shop.test'), /^latipay: no portal user with the email nobody@shop\.test$/);
  });

  test('operator create --json makes an operator, who lands on the operator area', async () => {
    const created = await cli('operator', 'create', '--email', 'staff@gateway.test', '--json');
    assert.equal(created.code, 0, created.stderr);
    const answer = JSON.parse(created.stdout) as Record<string, string>;
    assert.equal(answer.role, 'operator');
    assert.equal((await follow(answer.set_password_url, 'operator password 1')).statusCode, 303);
    const session = await signIn(gw.app, 'staff@gateway.test', 'operator password 1');
    assert.equal((await portalInject(gw.app, session, { url: '/portal/operator' })).statusCode, 200);
  });

  test('a bad role, an unknown organisation or a bad email: one line, exit 1; a missing option: exit 2', async () => {
    assertRefused(await cli('portal-user', 'create', '--organisation', '1', '--email', 'a@shop.test', '--role', 'boss'), /^latipay: --role must be one of owner, admin, developer, support, viewer, got "boss"$/);
    assertRefused(await cli('portal-user', 'create', '--organisation', '999999', '--email', 'a@shop.test', '--role', 'viewer'), /^latipay: no organisation 999999$/);
    assertRefused(await cli('portal-user', 'create', '--organisation', 'one', '--email', 'a@shop.test', '--role', 'viewer'), /^latipay: --organisation must be an organisation id/);
    assertRefused(await cli('operator', 'create', '--email', 'not-an-email'), /^latipay: not an email address: "not-an-email"$/);
    assert.equal((await cli('portal-user', 'create', '--email', 'a@shop.test', '--role', 'viewer')).code, 2);
  });
});
