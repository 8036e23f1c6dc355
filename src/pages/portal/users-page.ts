import { PORTAL_ROLES, type PortalRole } from '../../domain/portal-roles.js';
import type { PortalMemberView } from '../../store/portal-members.js';
import type { PortalPrincipal } from '../../http/routes/portal/portal-session.js';
import { html, raw, type RawHtml } from '../layout.js';
import type { Language } from '../i18n.js';
import { csrfField } from './portal-layout.js';
import { fillIn as fill } from './core-strings.js';
import { formatPortalTime } from './portal-time.js';
import { USERS_STRINGS, type UsersStrings } from './users-strings.js';

export function usersStrings(language: Language): UsersStrings {
  return USERS_STRINGS[language];
}

function roleOptions(s: UsersStrings, roles: readonly PortalRole[], selected: string): RawHtml[] {
  return roles.map((r) => html`<option value="${r}"${raw(r === selected ? ' selected' : '')}>${s.roles[r]}</option>`);
}

/**
 * The Users page's body: the members (email, role, status, two-factor, last sign-in) with a
 * role select, "Reset password" and "Remove" on each other active member, and the invite
 * form. Only the roles the viewer may give are offered (an admin makes nobody owner); the
 * server checks again whatever is posted.
 */
export function renderUsersBody(o: {
  s: UsersStrings;
  principal: PortalPrincipal;
  members: PortalMemberView[];
  mayManageOwners: boolean;
  flash?: { kind: 'ok' | 'bad'; text: string };
  invite?: { email: string; role: string };
}): RawHtml {
  const { s, principal } = o;
  const giveable = PORTAL_ROLES.filter((r) => r !== 'owner' || o.mayManageOwners);
  const rows = o.members.map((m) => {
    const self = m.id === principal.userId;
    const status = !m.active ? html`<span class="badge bad">${s.removed}</span>` : m.passwordSet ? html`<span class="badge ok">${s.active}</span>` : html`<span class="badge warn">${s.invited}</span>`;
    const roleName = (PORTAL_ROLES as readonly string[]).includes(m.role) ? s.roles[m.role as PortalRole] : m.role;
    const touchable = m.active && !self && (m.role !== 'owner' || o.mayManageOwners);
    const roleCell = touchable
      ? html`<form method="post" action="/portal/users/${m.id}/role" class="actions">${csrfField(principal)}<select name="role" aria-label="${fill(s.roleFor, { email: m.email })}">${roleOptions(s, giveable, m.role)}</select><button class="button" type="submit">${s.changeRole}</button></form>`
      : html`${roleName}${self ? html` <span class="muted">${s.you}</span>` : raw('')}`;
    const actions = touchable
      ? html`<div class="actions"><form method="post" action="/portal/users/${m.id}/reset-password">${csrfField(principal)}<button class="button" type="submit" aria-label="${fill(s.resetPasswordFor, { email: m.email })}">${s.resetPassword}</button></form>
<form method="post" action="/portal/users/${m.id}/remove" data-confirm="${fill(s.confirmRemove, { email: m.email })}">${csrfField(principal)}<button class="button danger" type="submit" aria-label="${fill(s.removeFor, { email: m.email })}">${s.remove}</button></form></div>`
      : raw('');
    return html`<tr data-test="member" data-email="${m.email}" data-role="${m.role}" data-active="${m.active ? 'yes' : 'no'}"><td>${m.email}</td><td>${roleCell}</td><td>${status}</td><td>${m.twoFactor ? s.on : s.off}</td><td>${m.lastSignInAt === null ? s.never : formatPortalTime(m.lastSignInAt)}</td><td>${actions}</td></tr>`;
  });
  const flash = o.flash ? html`<p class="flash${o.flash.kind === 'bad' ? ' error' : ''}" role="${o.flash.kind === 'bad' ? 'alert' : 'status'}" data-test="flash">${o.flash.text}</p>` : raw('');
  return html`<h1>${s.title}</h1>${flash}<p class="muted">${s.intro}</p>
<section aria-labelledby="members-title"><h2 id="members-title">${s.members}</h2>
<div class="table-wrap"><table class="table"><thead><tr><th scope="col">${s.email}</th><th scope="col">${s.role}</th><th scope="col">${s.status}</th><th scope="col">${s.twoFactor}</th><th scope="col">${s.lastSignIn}</th><th scope="col">${s.actions}</th></tr></thead>
<tbody>${rows}</tbody></table></div></section>
<section class="card" aria-labelledby="invite-title"><h2 id="invite-title">${s.inviteTitle}</h2>
<form method="post" action="/portal/users/invite" data-test="invite-form">${csrfField(principal)}
<div class="field"><label for="invite-email">${s.email}</label><input id="invite-email" name="email" type="email" required autocomplete="off" maxlength="254" value="${o.invite?.email ?? ''}"></div>
<div class="field"><label for="invite-role">${s.role}</label><select id="invite-role" name="role" aria-describedby="role-help">${roleOptions(s, giveable, o.invite?.role ?? 'viewer')}</select><p class="hint" id="role-help">${s.roleHelp}</p></div>
<button class="button primary" type="submit">${s.invite}</button></form></section>`;
}

/** The one-time link, shown once after an invitation or a reset (the page is answered no-store). */
export function renderLinkBody(o: { s: UsersStrings; title: string; email: string; url: string }): RawHtml {
  const { s } = o;
  return html`<h1>${o.title}</h1><section class="card"><p>${fill(s.passLink, { email: o.email })}</p>
<div class="field"><label for="one-time-link">${s.linkLabel}</label><input id="one-time-link" readonly value="${o.url}" data-test="one-time-link"></div>
<button class="button" type="button" data-copy="one-time-link" data-copied="${s.copied}" hidden>${s.copy}</button>
<p><a href="/portal/users">${s.back}</a></p></section>`;
}
