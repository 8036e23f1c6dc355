import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { PORTAL_ROLES, type PortalRole } from '../domain/portal-roles.js';
import { createPortalUser } from '../gateway/portal/create-portal-user.js';
import { issueSetPasswordLinkByEmail } from '../gateway/portal/set-password-link.js';
import { cliActor, CliError, printResult, withCliContext } from './cli-runtime.js';

interface LinkAnswer {
  email: string;
  role: string;
  set_password_url: string;
}

function describeLink(verb: string): (answer: LinkAnswer) => string {
  return (a) => `${a.email} (${a.role}) ${verb}; pass on this one-time link to set the password (valid 72 h):\n${a.set_password_url}\n`;
}

/**
 * `latipay portal-user …` and `latipay operator …`: merchant portal accounts. There is no
 * mail server: each command prints a one-time link to set the password, for the operator
 * to pass on (docs/portal.md).
 */
export function addPortalCommands(program: Command): void {
  const portalUser = program.command('portal-user').description('merchant portal users: create one, or give one a password reset link');

  portalUser
    .command('create')
    .description('create a portal user of an organisation; prints a one-time link to set the password')
    .requiredOption('--organisation <id>', 'the organisation (organisation_id of `merchant create`)')
    .requiredOption('--email <email>', 'the user’s email, their sign-in name')
    .requiredOption('--role <role>', `one of ${PORTAL_ROLES.join(', ')}`)
    .option('--json', 'print JSON', false)
    .action(async (options: { organisation: string; email: string; role: string; json: boolean }) => {
      if (!/^\d{1,15}$/.test(options.organisation)) throw new CliError(`--organisation must be an organisation id (a number), got ${JSON.stringify(options.organisation)}`);
      if (!(PORTAL_ROLES as readonly string[]).includes(options.role)) throw new CliError(`--role must be one of ${PORTAL_ROLES.join(', ')}, got ${JSON.stringify(options.role)}`);
      const created = await withCliContext(loadConfig(), (ctx) =>
        createPortalUser(ctx, { organisationId: Number(options.organisation), email: options.email, role: options.role as PortalRole }, cliActor()),
      );
      printResult(options.json, { email: created.email, role: created.role, set_password_url: created.setPasswordUrl }, describeLink('created'));
    });

  portalUser
    .command('reset-password')
    .description('a new one-time link to set the password (earlier links stop working; the password works until it is replaced)')
    .requiredOption('--email <email>', 'the user’s email')
    .option('--json', 'print JSON', false)
    .action(async (options: { email: string; json: boolean }) => {
      const { user, url } = await withCliContext(loadConfig(), (ctx) => issueSetPasswordLinkByEmail(ctx, options.email, cliActor()));
      printResult(options.json, { email: user.email, role: user.role, set_password_url: url }, describeLink('may set a new password'));
    });

  program
    .command('operator')
    .description('the gateway’s own staff in the portal (they manage organisations)')
    .command('create')
    .description('create an operator; prints a one-time link to set the password')
    .requiredOption('--email <email>', 'the operator’s email, their sign-in name')
    .option('--json', 'print JSON', false)
    .action(async (options: { email: string; json: boolean }) => {
      const created = await withCliContext(loadConfig(), (ctx) => createPortalUser(ctx, { organisationId: null, email: options.email, role: 'operator' }, cliActor()));
      printResult(options.json, { email: created.email, role: created.role, set_password_url: created.setPasswordUrl }, describeLink('created'));
    });
}
