import type { Language } from '../i18n.js';
import { html, raw, type RawHtml } from '../layout.js';
import { MIN_PASSWORD_LENGTH } from '../../gateway/portal/password-hash.js';
import { CORE_STRINGS, fillIn } from './core-strings.js';
import { renderPortalBarePage } from './portal-layout.js';

/** The pages of signing in and setting a password (no one is signed in yet). */

type Strings = (typeof CORE_STRINGS)[Language];
export type SignInFlash = 'password_set' | 'signed_out' | 'signed_out_everywhere';

function message(kind: 'error' | 'ok', text: string | undefined): RawHtml {
  if (!text) return raw('');
  return kind === 'error' ? html`<p class="flash error" role="alert" data-test="error">${text}</p>` : html`<p class="flash" role="status" data-test="flash">${text}</p>`;
}

function flashText(t: Strings, flash: SignInFlash | undefined): string | undefined {
  return flash === 'password_set' ? t.passwordSet : flash === 'signed_out' ? t.signedOut : flash === 'signed_out_everywhere' ? t.signedOutEverywhere : undefined;
}

export function renderSignInPage(o: { language: Language; csrf: string; next?: string; email?: string; error?: string; flash?: SignInFlash }): string {
  const t = CORE_STRINGS[o.language];
  const body = html`<div class="card"><h1>${t.signInTitle}</h1>${message('ok', flashText(t, o.flash))}${message('error', o.error)}<form method="post" action="/portal/login"><input type="hidden" name="_csrf" value="${o.csrf}">${o.next ? html`<input type="hidden" name="next" value="${o.next}">` : raw('')}<div class="field"><label for="email">${t.email}</label><input id="email" name="email" type="email" autocomplete="username" required maxlength="254" value="${o.email ?? ''}"${o.email ? raw('') : raw(' autofocus')}></div><div class="field"><label for="password">${t.password}</label><input id="password" name="password" type="password" autocomplete="current-password" required maxlength="256"${o.email ? raw(' autofocus') : raw('')}></div><div class="actions"><button class="button primary" type="submit">${t.signIn}</button></div></form></div>`;
  return renderPortalBarePage({ language: o.language, title: t.signInTitle, body });
}

export function renderCodePage(o: { language: Language; csrf: string; next?: string; error?: string }): string {
  const t = CORE_STRINGS[o.language];
  const body = html`<div class="card"><h1>${t.codeTitle}</h1>${message('error', o.error)}<form method="post" action="/portal/login/code"><input type="hidden" name="_csrf" value="${o.csrf}">${o.next ? html`<input type="hidden" name="next" value="${o.next}">` : raw('')}<div class="field"><label for="code">${t.codeLabel}</label><input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="8" required autofocus aria-describedby="code-hint"><p class="hint" id="code-hint">${t.codeHint}</p></div><div class="actions"><button class="button primary" type="submit">${t.verify}</button></div></form></div>`;
  return renderPortalBarePage({ language: o.language, title: t.codeTitle, body });
}

export function renderTooManyPage(o: { language: Language; waitMs: number }): string {
  const t = CORE_STRINGS[o.language];
  const minutes = Math.max(1, Math.ceil(o.waitMs / 60_000));
  const body = html`<div class="card"><h1>${t.tooManyTitle}</h1><p class="flash error" role="alert" data-test="error">${fillIn(t.tooManyText, { minutes })}</p><p><a href="/portal/login">${t.signInTitle}</a></p></div>`;
  return renderPortalBarePage({ language: o.language, title: t.tooManyTitle, body });
}

export function renderSetPasswordPage(o: { language: Language; csrf: string; token: string; email: string; error?: string }): string {
  const t = CORE_STRINGS[o.language];
  const body = html`<div class="card"><h1>${t.setPasswordTitle}</h1><p class="muted">${fillIn(t.setPasswordFor, { email: o.email, min: MIN_PASSWORD_LENGTH })}</p>${message('error', o.error)}<form method="post" action="/portal/set-password/${o.token}"><input type="hidden" name="_csrf" value="${o.csrf}"><input type="text" name="username" autocomplete="username" value="${o.email}" hidden><div class="field"><label for="password">${t.newPassword}</label><input id="password" name="password" type="password" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}" maxlength="256" autofocus></div><div class="field"><label for="confirm">${t.confirmPassword}</label><input id="confirm" name="confirm" type="password" autocomplete="new-password" required minlength="${MIN_PASSWORD_LENGTH}" maxlength="256"></div><div class="actions"><button class="button primary" type="submit">${t.savePassword}</button></div></form></div>`;
  return renderPortalBarePage({ language: o.language, title: t.setPasswordTitle, body });
}

export function renderLinkInvalidPage(language: Language): string {
  const t = CORE_STRINGS[language];
  const body = html`<div class="card"><h1>${t.linkInvalidTitle}</h1><p>${t.linkInvalidText}</p><p><a href="/portal/login">${t.signInTitle}</a></p></div>`;
  return renderPortalBarePage({ language, title: t.linkInvalidTitle, body });
}

/** The message for a refused new password. */
export function passwordProblemText(language: Language, problem: 'too_short' | 'too_long' | 'differ'): string {
  const t = CORE_STRINGS[language];
  return problem === 'too_short' ? fillIn(t.passwordTooShort, { min: MIN_PASSWORD_LENGTH }) : problem === 'too_long' ? t.passwordTooLong : t.passwordsDiffer;
}
