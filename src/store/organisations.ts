import type { Db } from './store.js';

/** An organisation as the operators' list shows it: what it holds, never a key. */
export interface OrganisationSummary {
  id: number;
  name: string;
  active: boolean;
  created_at: number;
  api_users: number;
  active_api_users: number;
  wallets: number;
  portal_users: number;
}

/** Every organisation, newest first, with how many API users, wallets and portal users it has. */
export async function listOrganisationSummaries(db: Db): Promise<OrganisationSummary[]> {
  const rows = await db
    .selectFrom('organisations')
    .select((eb) => [
      'organisations.id',
      'organisations.name',
      'organisations.active',
      'organisations.created_at',
      eb.selectFrom('users').select((u) => u.fn.countAll<number>().as('n')).whereRef('users.organisation_id', '=', 'organisations.id').as('api_users'),
      eb
        .selectFrom('users')
        .select((u) => u.fn.countAll<number>().as('n'))
        .whereRef('users.organisation_id', '=', 'organisations.id')
        .where('users.active', '=', 1)
        .as('active_api_users'),
      eb.selectFrom('wallets').select((w) => w.fn.countAll<number>().as('n')).whereRef('wallets.organisation_id', '=', 'organisations.id').as('wallets'),
      eb
        .selectFrom('portal_users')
        .select((p) => p.fn.countAll<number>().as('n'))
        .whereRef('portal_users.organisation_id', '=', 'organisations.id')
        .where('portal_users.active', '=', 1)
        .as('portal_users'),
    ])
    .orderBy('organisations.id', 'desc')
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    name: r.name,
    active: Number(r.active) === 1,
    created_at: Number(r.created_at),
    api_users: Number(r.api_users ?? 0),
    active_api_users: Number(r.active_api_users ?? 0),
    wallets: Number(r.wallets ?? 0),
    portal_users: Number(r.portal_users ?? 0),
  }));
}

/** The organisation's API users (id, name, status; never a key), by id. */
export async function listApiUsersOfOrganisation(db: Db, organisationId: number): Promise<Array<{ id: string; name: string; active: boolean }>> {
  const rows = await db.selectFrom('users').select(['id', 'name', 'active']).where('organisation_id', '=', organisationId).orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, active: Number(r.active) === 1 }));
}

/** The organisation's wallets, by id. */
export async function listWalletsOfOrganisation(
  db: Db,
  organisationId: number,
): Promise<Array<{ id: string; name: string; currency: string; methods: string[]; test: boolean }>> {
  const rows = await db.selectFrom('wallets').select(['id', 'name', 'currency', 'methods', 'test']).where('organisation_id', '=', organisationId).orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, currency: r.currency, methods: r.methods.split(',').filter(Boolean), test: Number(r.test) === 1 }));
}

/** The provider accounts of the organisation's wallets: which provider serves which methods (never a setting or secret). */
export async function listProvidersOfOrganisation(db: Db, organisationId: number): Promise<Array<{ wallet_id: string; provider: string; methods: string[] }>> {
  const rows = await db
    .selectFrom('provider_accounts')
    .innerJoin('wallets', 'wallets.id', 'provider_accounts.wallet_id')
    .select(['provider_accounts.wallet_id', 'provider_accounts.provider', 'provider_accounts.methods'])
    .where('wallets.organisation_id', '=', organisationId)
    .orderBy('provider_accounts.wallet_id')
    .orderBy('provider_accounts.provider')
    .execute();
  return rows.map((r) => ({ wallet_id: r.wallet_id, provider: r.provider, methods: r.methods.split(',').filter(Boolean) }));
}
