import type { CreatedOrganisation } from '../../gateway/portal/create-organisation.js';
import type { OrganisationDetail } from '../../gateway/portal/describe-organisation.js';
import type { PortalPrincipal } from '../../http/routes/portal/portal-session.js';
import type { OrganisationSummary } from '../../store/organisations.js';
import { html, raw, type RawHtml } from '../layout.js';
import type { Language } from '../i18n.js';
import { fillIn as fill } from './core-strings.js';
import { OPERATOR_STRINGS, type OperatorStrings } from './operator-strings.js';
import { csrfField } from './portal-layout.js';
import { formatPortalTime } from './portal-time.js';

export function operatorStrings(language: Language): OperatorStrings {
  return OPERATOR_STRINGS[language];
}

/** The wallet currencies the create form offers (createMerchant accepts any two-decimal ISO 4217 code). */
export const OFFERED_CURRENCIES = ['NZD', 'AUD', 'CNY', 'USD', 'HKD', 'GBP', 'EUR', 'SGD', 'CAD'] as const;

function flashOf(flash: { kind: 'ok' | 'bad'; text: string } | undefined): RawHtml {
  return flash ? html`<p class="flash${flash.kind === 'bad' ? ' error' : ''}" role="${flash.kind === 'bad' ? 'alert' : 'status'}" data-test="flash">${flash.text}</p>` : raw('');
}

function activeBadge(s: OperatorStrings, active: boolean): RawHtml {
  return active ? html`<span class="badge ok">${s.active}</span>` : html`<span class="badge bad">${s.disabled}</span>`;
}

/** "Disable" or "Enable"; `back` says where the answer returns to (the list, or the organisation's page). */
function toggleForm(s: OperatorStrings, principal: PortalPrincipal, o: { id: number; name: string; active: boolean }, back: 'list' | 'organisation'): RawHtml {
  const fields = html`${csrfField(principal)}<input type="hidden" name="back" value="${back}">`;
  return o.active
    ? html`<form method="post" action="/portal/operator/organisations/${o.id}/disable" data-confirm="${fill(s.confirmDisable, { name: o.name })}">${fields}<button class="button danger" type="submit" aria-label="${fill(s.disableNamed, { name: o.name })}">${s.disable}</button></form>`
    : html`<form method="post" action="/portal/operator/organisations/${o.id}/enable">${fields}<button class="button" type="submit" aria-label="${fill(s.enableNamed, { name: o.name })}">${s.enable}</button></form>`;
}

/** The operators' home: every organisation, with "View" and "Disable"/"Enable", and the create form. */
export function renderOrganisationsBody(o: {
  s: OperatorStrings;
  principal: PortalPrincipal;
  organisations: OrganisationSummary[];
  flash?: { kind: 'ok' | 'bad'; text: string };
  form?: { name: string; currency: string; test: boolean; ownerEmail: string };
}): RawHtml {
  const { s, principal } = o;
  const form = o.form ?? { name: '', currency: 'NZD', test: true, ownerEmail: '' };
  const rows = o.organisations.map(
    (org) =>
      html`<tr data-test="organisation" data-id="${org.id}" data-active="${org.active ? 'yes' : 'no'}"><td>${org.id}</td><td>${org.name}</td><td>${org.active_api_users}/${org.api_users}</td><td>${org.wallets}</td><td>${org.portal_users}</td><td>${activeBadge(s, org.active)}</td>
<td><div class="actions"><a class="button" href="/portal/operator/organisations/${org.id}" aria-label="${fill(s.viewOrganisation, { name: org.name })}">${s.view}</a>${toggleForm(s, principal, org, 'list')}</div></td></tr>`,
  );
  const currencies = OFFERED_CURRENCIES.map((c) => html`<option value="${c}"${raw(c === form.currency ? ' selected' : '')}>${c}</option>`);
  return html`<h1>${s.title}</h1>${flashOf(o.flash)}<p class="muted">${s.intro}</p>
<div class="table-wrap"><table class="table"><caption class="sr-only">${s.title}</caption><thead><tr><th scope="col">${s.id}</th><th scope="col">${s.name}</th><th scope="col">${s.apiUsers}</th><th scope="col">${s.wallets}</th><th scope="col">${s.portalUsers}</th><th scope="col">${s.status}</th><th scope="col">${s.actions}</th></tr></thead>
<tbody>${rows.length === 0 ? html`<tr><td colspan="7">${s.none}</td></tr>` : rows}</tbody></table></div>
<section class="card" aria-labelledby="create-title"><h2 id="create-title">${s.createTitle}</h2>
<form method="post" action="/portal/operator/organisations" data-test="create-organisation">${csrfField(principal)}
<div class="field"><label for="org-name">${s.name}</label><input id="org-name" name="name" required maxlength="200" value="${form.name}"></div>
<div class="field"><label for="org-currency">${s.currency}</label><select id="org-currency" name="currency">${currencies}</select></div>
<fieldset class="choices"><legend>${s.mode}</legend>
<label><input type="radio" name="mode" value="test"${raw(form.test ? ' checked' : '')}> ${s.test}</label>
<label><input type="radio" name="mode" value="live"${raw(form.test ? '' : ' checked')}> ${s.live}</label></fieldset>
<div class="field"><label for="org-owner">${s.ownerEmail}</label><input id="org-owner" name="owner_email" type="email" maxlength="254" autocomplete="off" aria-describedby="owner-help" value="${form.ownerEmail}"><p class="hint" id="owner-help">${s.ownerHelp}</p></div>
<button class="button primary" type="submit">${s.create}</button></form></section>`;
}

function copyable(s: OperatorStrings, id: string, label: string, value: string): RawHtml {
  return html`<div class="field"><label for="${id}">${label}</label><input id="${id}" readonly value="${value}" data-test="${id}"></div><button class="button" type="button" data-copy="${id}" data-copied="${s.copied}" hidden>${s.copy}</button>`;
}

/** After "Create organisation": its ids and api_key, shown once (answered no-store), and the owner's one-time link. */
export function renderCreatedBody(o: { s: OperatorStrings; created: CreatedOrganisation; ownerProblem?: string }): RawHtml {
  const { s, created } = o;
  const m = created.merchant;
  const owner = created.owner
    ? html`<section class="card"><h2>${fill(s.ownerLink, { email: created.owner.email })}</h2><p class="muted">${s.ownerLinkHelp}</p>${copyable(s, 'owner-link', fill(s.ownerLink, { email: created.owner.email }), created.owner.setPasswordUrl)}</section>`
    : o.ownerProblem
      ? html`<p class="flash error" role="alert">${fill(s.ownerNotMade, { reason: o.ownerProblem })}</p>`
      : raw('');
  return html`<h1>${s.createdTitle}</h1><p class="flash" role="status">${s.keyOnce}</p>
<section class="card"><dl><dt>${s.organisationId}</dt><dd data-test="organisation-id">${m.organisation_id}</dd><dt>${s.userId}</dt><dd data-test="user-id">${m.user_id}</dd><dt>${s.walletId}</dt><dd><span data-test="wallet-id">${m.wallet_id}</span> <span class="badge">${m.test ? s.testWallet : s.liveWallet}</span></dd></dl>
${copyable(s, 'api-key', s.apiKey, m.api_key)}</section>${owner}
<p><a href="/portal/operator">${s.back}</a></p>`;
}

/** One organisation: its status, API users, wallets, providers and portal users (with "Reset password"). */
export function renderOrganisationBody(o: { s: OperatorStrings; principal: PortalPrincipal; detail: OrganisationDetail; flash?: { kind: 'ok' | 'bad'; text: string } }): RawHtml {
  const { s, principal, detail } = o;
  const apiUsers = detail.apiUsers.map((u) => html`<tr><td>${u.id}</td><td>${u.name}</td><td>${activeBadge(s, u.active)}</td></tr>`);
  const wallets = detail.wallets.map((w) => html`<tr><td>${w.id}</td><td>${w.name}</td><td>${w.currency}</td><td>${w.methods.join(', ')}</td><td>${w.test ? s.testWallet : s.liveWallet}</td></tr>`);
  const providers = detail.providers.map((p) => html`<tr><td>${p.wallet_id}</td><td>${p.provider}</td><td>${p.methods.join(', ')}</td></tr>`);
  const members = detail.members.map(
    (m) =>
      html`<tr data-test="member" data-email="${m.email}"><td>${m.email}</td><td>${m.role}</td><td>${activeBadge(s, m.active)}</td><td>${m.lastSignInAt === null ? '—' : formatPortalTime(m.lastSignInAt)}</td><td>${
        m.active
          ? html`<form method="post" action="/portal/operator/organisations/${detail.id}/users/${m.id}/reset-password">${csrfField(principal)}<button class="button" type="submit" aria-label="${fill(s.resetPasswordFor, { email: m.email })}">${s.resetPassword}</button></form>`
          : raw('')
      }</td></tr>`,
  );
  return html`<p><a href="/portal/operator">${s.back}</a></p><h1>${detail.name} <span class="muted">#${detail.id}</span></h1>${flashOf(o.flash)}
<div class="actions">${activeBadge(s, detail.active)}${toggleForm(s, principal, detail, 'organisation')}</div>
<section class="card"><h2>${s.apiUsers}</h2><div class="table-wrap"><table class="table"><thead><tr><th scope="col">${s.userId}</th><th scope="col">${s.name}</th><th scope="col">${s.status}</th></tr></thead><tbody>${apiUsers}</tbody></table></div></section>
<section class="card"><h2>${s.wallets}</h2><div class="table-wrap"><table class="table"><thead><tr><th scope="col">${s.walletId}</th><th scope="col">${s.name}</th><th scope="col">${s.currency}</th><th scope="col">${s.methods}</th><th scope="col">${s.mode}</th></tr></thead><tbody>${wallets}</tbody></table></div></section>
<section class="card"><h2>${s.providers}</h2>${
    providers.length === 0
      ? html`<p class="muted">${s.noProviders}</p>`
      : html`<div class="table-wrap"><table class="table"><thead><tr><th scope="col">${s.wallet}</th><th scope="col">${s.provider}</th><th scope="col">${s.methods}</th></tr></thead><tbody>${providers}</tbody></table></div>`
  }</section>
<section class="card"><h2>${s.members}</h2>${
    members.length === 0
      ? html`<p class="muted">${s.noMembers}</p>`
      : html`<div class="table-wrap"><table class="table"><thead><tr><th scope="col">${s.email}</th><th scope="col">${s.role}</th><th scope="col">${s.status}</th><th scope="col">${s.lastSignIn}</th><th scope="col">${s.actions}</th></tr></thead><tbody>${members}</tbody></table></div>`
  }</section>`;
}

/** The one-time link an operator made for a member (answered no-store). */
export function renderOperatorLinkBody(o: { s: OperatorStrings; organisationId: number; email: string; url: string }): RawHtml {
  const { s } = o;
  return html`<h1>${s.resetTitle}</h1><section class="card"><p>${fill(s.passLink, { email: o.email })}</p>${copyable(s, 'one-time-link', fill(s.resetPasswordFor, { email: o.email }), o.url)}
<p><a href="/portal/operator/organisations/${o.organisationId}">${s.backToOrganisation}</a></p></section>`;
}
