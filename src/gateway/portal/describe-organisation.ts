import { listApiUsersOfOrganisation, listProvidersOfOrganisation, listWalletsOfOrganisation } from '../../store/organisations.js';
import { listPortalMembers, type PortalMemberView } from '../../store/portal-members.js';
import { findOrganisationStatus } from '../../store/portal-users.js';
import type { Db } from '../../store/store.js';

export interface OrganisationDetail {
  id: number;
  name: string;
  active: boolean;
  apiUsers: Array<{ id: string; name: string; active: boolean }>;
  wallets: Array<{ id: string; name: string; currency: string; methods: string[]; test: boolean }>;
  /** Which provider serves which of a wallet's methods (no setting, no secret); a wallet with none is served by the sandbox where it may. */
  providers: Array<{ wallet_id: string; provider: string; methods: string[] }>;
  members: PortalMemberView[];
}

/** What an operator sees of one organisation: never an api_key, a provider secret or a password. */
export async function describeOrganisation(db: Db, organisationId: number): Promise<OrganisationDetail | undefined> {
  const status = await findOrganisationStatus(db, organisationId);
  if (!status) return undefined;
  const [apiUsers, wallets, providers, members] = await Promise.all([
    listApiUsersOfOrganisation(db, organisationId),
    listWalletsOfOrganisation(db, organisationId),
    listProvidersOfOrganisation(db, organisationId),
    listPortalMembers(db, organisationId),
  ]);
  return { id: organisationId, name: status.name, active: status.active, apiUsers, wallets, providers, members };
}
