import type { FastifyRequest } from 'fastify';
import type { Config } from '../../config.js';
import { DEFAULT_BRAND_NAME } from '../../config.js';
import { can } from '../../domain/portal-roles.js';
import type { PortalPrincipal } from '../../gateway/portal/portal-principal.js';
import { readCookie } from '../../http/cookies.js';
import { pickLanguage, type Language } from '../i18n.js';
import { html, raw, type RawHtml } from '../layout.js';
import { themeFor } from '../theme.js';
import { CORE_STRINGS } from './core-strings.js';
import { portalStylesheet } from './portal-style.js';

export type PortalNav = 'dashboard' | 'transactions' | 'payment-links' | 'developers' | 'balance' | 'users' | 'audit' | 'operator' | 'account';

/** The cookie that remembers the language chosen with `?lang=`. */
export const LANGUAGE_COOKIE = 'portal_lang';

interface Branding {
  brandName: string;
  logoHref: string | undefined;
  stylesheetHref: string;
}

let branding: Branding = { brandName: DEFAULT_BRAND_NAME, logoHref: undefined, stylesheetHref: '/portal/assets/portal.css' };

/**
 * Sets the brand the portal's pages show (BRAND_NAME, BRAND_LOGO_FILE, the stylesheet with
 * BRAND_COLOR); portalRoutes calls it once. Kept here so that the areas render a page from
 * what they have in hand (the principal), as `renderPortalPage` promises.
 */
export function usePortalBranding(config: Config): void {
  const theme = themeFor(config);
  branding = { brandName: theme.brandName, logoHref: theme.logoHref, stylesheetHref: portalStylesheet(config).href };
}

/** The page's language: `?lang=en|zh`, then the cookie the last choice set, then Accept-Language. */
export function portalLanguage(request: FastifyRequest): Language {
  const query = request.query as { lang?: unknown } | undefined;
  if (query?.lang === 'en' || query?.lang === 'zh') return query.lang;
  const chosen = readCookie(request, LANGUAGE_COOKIE);
  if (chosen === 'en' || chosen === 'zh') return chosen;
  return pickLanguage(request);
}

/** The hidden field a form posts its CSRF token in. */
export function csrfField(principal: Pick<PortalPrincipal, 'csrfToken'>): RawHtml {
  return html`<input type="hidden" name="_csrf" value="${principal.csrfToken}">`;
}

interface NavItem {
  key: PortalNav;
  href: string;
  label: string;
}

function navItems(language: Language, principal: PortalPrincipal): NavItem[] {
  const t = CORE_STRINGS[language];
  if (principal.role === 'operator') return [{ key: 'operator', href: '/portal/operator', label: t.organisations }];
  const items: NavItem[] = [
    { key: 'dashboard', href: '/portal', label: t.dashboard },
    { key: 'transactions', href: '/portal/transactions', label: t.transactions },
    { key: 'payment-links', href: '/portal/payment-links', label: t.paymentLinks },
    { key: 'developers', href: '/portal/developers', label: t.developers },
    { key: 'balance', href: '/portal/balance', label: t.balance },
  ];
  if (can(principal.role, 'manage_users')) items.push({ key: 'users', href: '/portal/users', label: t.users });
  if (can(principal.role, 'view_audit')) items.push({ key: 'audit', href: '/portal/audit', label: t.audit });
  return items;
}

function documentOf(o: { language: Language; title: string; header: RawHtml; body: RawHtml; scriptNonce?: string; script?: string }): string {
  const t = CORE_STRINGS[o.language];
  const script = o.script && o.scriptNonce ? html`<script nonce="${o.scriptNonce}">${raw(o.script)}</script>` : raw('');
  return (
    '<!doctype html>' +
    html`<html lang="${o.language === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${o.title} · ${branding.brandName}</title><link rel="stylesheet" href="${branding.stylesheetHref}"></head><body><a class="skip" href="#main">${t.skipToContent}</a>${o.header}<main id="main" tabindex="-1">${o.body}</main>${script}</body></html>`
      .value
  );
}

function brandLink(href: string, language: Language): RawHtml {
  const t = CORE_STRINGS[language];
  const logo = branding.logoHref ? html`<img src="${branding.logoHref}" alt="">` : raw('');
  return html`<a class="brand" href="${href}">${logo}<span>${branding.brandName}</span><span class="org">${t.portal}</span></a>`;
}

function languageSwitch(language: Language): RawHtml {
  const t = CORE_STRINGS[language];
  const other = language === 'zh' ? 'en' : 'zh';
  return html`<a href="?lang=${other}" lang="${other === 'zh' ? 'zh-CN' : 'en'}" hreflang="${other === 'zh' ? 'zh-CN' : 'en'}" aria-label="${t.switchLanguageLabel}" data-test="lang-switch">${t.switchLanguage}</a>`;
}

/**
 * A portal page for a signed-in user: the header (brand, organisation, the signed-in email,
 * Account, the language switch, Sign out), the nav the user's role may open, then `body`
 * inside `<main>`. The body brings its own `<h1>` (usually `title`). Its inline `script`
 * runs only with the response's CSP nonce (`reply.cspNonce.script`).
 */
export function renderPortalPage(o: { language: Language; principal: PortalPrincipal; title: string; active: PortalNav; body: RawHtml; scriptNonce?: string; script?: string }): string {
  const t = CORE_STRINGS[o.language];
  const { principal } = o;
  const operator = principal.role === 'operator';
  const nav = navItems(o.language, principal).map(
    (item) => html`<li><a href="${item.href}"${item.key === o.active ? raw(' aria-current="page"') : raw('')}>${item.label}</a></li>`,
  );
  const context = operator ? html`<span class="badge">${t.operatorBadge}</span>` : html`<span class="org" data-test="organisation">${principal.organisationName}</span>`;
  const header = html`<header class="top"><div class="top-inner">${brandLink(operator ? '/portal/operator' : '/portal', o.language)}${context}<div class="who"><span class="email"><span class="sr-only">${t.signedInAs} </span><span data-test="email">${principal.email}</span></span><a href="/portal/account"${o.active === 'account' ? raw(' aria-current="page"') : raw('')}>${t.account}</a>${languageSwitch(o.language)}<form method="post" action="/portal/logout">${csrfField(principal)}<button class="button" type="submit">${t.signOut}</button></form></div></div><nav class="nav" aria-label="${t.navLabel}"><ul>${nav}</ul></nav></header>`;
  return documentOf({ language: o.language, title: o.title, header, body: o.body, scriptNonce: o.scriptNonce, script: o.script });
}

/** A portal page for someone not signed in (sign in, set password, a refusal): brand and language switch only. */
export function renderPortalBarePage(o: { language: Language; title: string; body: RawHtml }): string {
  const header = html`<header class="top"><div class="top-inner">${brandLink('/portal/login', o.language)}<div class="who">${languageSwitch(o.language)}</div></div></header>`;
  return documentOf({ language: o.language, title: o.title, header, body: html`<div class="auth">${o.body}</div>` });
}
