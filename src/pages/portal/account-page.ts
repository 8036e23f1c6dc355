import type { PortalPrincipal } from '../../gateway/portal/portal-principal.js';
import { MIN_PASSWORD_LENGTH } from '../../gateway/portal/password-hash.js';
import type { Language } from '../i18n.js';
import { html, raw, type RawHtml } from '../layout.js';
import { CORE_STRINGS } from './core-strings.js';
import { csrfField, renderPortalPage } from './portal-layout.js';

export type AccountFlash = 'password' | 'totp_on' | 'totp_off';

/** The account page: change password, two-factor on or off, sign out everywhere. */
export function renderAccountPage(o: {
  language: Language;
  principal: PortalPrincipal;
  flash?: AccountFlash;
  /** Which form the error belongs to, and what it says. */
  error?: { form: 'password' | 'totp'; text: string };
  twoFactor: { enabled: true } | { enabled: false; qrSvg: string; secret: string; pending: string };
}): string {
  const t = CORE_STRINGS[o.language];
  const csrf = csrfField(o.principal);
  const flashText = o.flash === 'password' ? t.passwordChanged : o.flash === 'totp_on' ? t.twoFactorEnabled : o.flash === 'totp_off' ? t.twoFactorDisabled : undefined;
  const errorFor = (form: 'password' | 'totp'): RawHtml => (o.error?.form === form ? html`<p class="flash error" role="alert" data-test="error">${o.error.text}</p>` : raw(''));
  const tf = o.twoFactor;
  const twoFactor = tf.enabled
    ? html`<p><span class="badge ok">${t.twoFactorOn}</span></p>${errorFor('totp')}<form method="post" action="/portal/account/two-factor/disable">${csrf}<div class="field"><label for="disable-code">${t.codeLabel}</label><input id="disable-code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="8" required></div><button class="button danger" type="submit">${t.disableTwoFactor}</button></form>`
    : html`<p class="muted">${t.twoFactorOff}</p>${errorFor('totp')}<p>${t.twoFactorSetup}</p><div class="qr" role="img" aria-label="${t.twoFactorQr}">${raw(tf.qrSvg)}</div><p class="small">${t.twoFactorSecret} <code data-test="totp-secret">${tf.secret}</code></p><form method="post" action="/portal/account/two-factor/enable">${csrf}<input type="hidden" name="pending" value="${tf.pending}"><div class="field"><label for="enable-code">${t.codeLabel}</label><input id="enable-code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="8" required></div><button class="button primary" type="submit">${t.enableTwoFactor}</button></form>`;
  const body = html`<h1>${t.accountTitle}</h1>${flashText ? html`<p class="flash" role="status" data-test="flash">${flashText}</p>` : raw('')}
<section class="card" aria-labelledby="password-heading"><h2 id="password-heading">${t.changePassword}</h2>${errorFor('password')}<form method="post" action="/portal/account/password">${csrf}<input type="text" name="username" autocomplete="username" value="${o.principal.email}" hidden><div class="field"><label for="current-password">${t.currentPassword}</label><input id="current-password" name="current_password" type="password" autocomplete="current-password" required maxlength="256"></div><div class="field"><label for="new-password">${t.newPassword}</label><input id="new-password" name="new_password" type="password" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}" maxlength="256"></div><div class="field"><label for="confirm-password">${t.confirmPassword}</label><input id="confirm-password" name="confirm_password" type="password" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}" maxlength="256"></div><button class="button primary" type="submit">${t.changePassword}</button></form></section>
<section class="card" aria-labelledby="two-factor-heading"><h2 id="two-factor-heading">${t.twoFactor}</h2>${twoFactor}</section>
<section class="card" aria-labelledby="sessions-heading"><h2 id="sessions-heading">${t.sessions}</h2><p class="muted">${t.sessionsText}</p><form method="post" action="/portal/account/sign-out-everywhere">${csrf}<button class="button danger" type="submit">${t.signOutEverywhere}</button></form></section>`;
  return renderPortalPage({ language: o.language, principal: o.principal, title: t.accountTitle, active: 'account', body });
}
