import { formatAmount } from '../../domain/money.js';
import { isPaymentMethod, METHOD_DISPLAY_NAMES } from '../../domain/payment-methods.js';
import type { IntegrationOverview, MethodRoute } from '../../gateway/describe-integration.js';
import { DEFAULT_PORTAL_GRACE_SECONDS, PORTAL_GRACE_CHOICES } from '../../gateway/rotate-organisation-key.js';
import type { TroubledCallback } from '../../store/callback-health.js';
import type { Language } from '../i18n.js';
import { html, raw, type RawHtml } from '../layout.js';
import { fillIn } from './core-strings.js';
import { DEVELOPERS_STRINGS, type DevelopersStrings } from './developers-strings.js';

const graceLabel = (t: DevelopersStrings, seconds: (typeof PORTAL_GRACE_CHOICES)[number]): string =>
  ({ 0: t.grace0, 3600: t.grace3600, 86400: t.grace86400, 259200: t.grace259200, 604800: t.grace604800 })[seconds];

const methodName = (method: string) => (isPaymentMethod(method) ? METHOD_DISPLAY_NAMES[method] : method);

function servedBy(t: DevelopersStrings, route: MethodRoute): RawHtml {
  if (route.provider === null) return html`<span class="badge bad">${t.notServed}</span>`;
  if (route.provider === 'sandbox') return html`<span class="badge warn">${t.sandbox}</span>`;
  return html`<span class="badge ok">${route.provider}</span> <span class="mono small">${route.account_id}</span>`;
}

function lastResult(c: TroubledCallback): string {
  if (c.last_error !== null) return c.last_error;
  if (c.last_http_status !== null) return `HTTP ${c.last_http_status} ${JSON.stringify(c.last_body_excerpt ?? '')}`;
  return '—';
}

/**
 * `/portal/developers`: the integration parameters of the organisation (base URL, API users
 * and wallets), who serves each wallet's methods, the callbacks' health, Rotate API key
 * (for those who may) and the way to the signature helper. Never a key or a secret.
 */
export function renderDevelopersBody(o: {
  language: Language;
  csrf: RawHtml;
  overview: IntegrationOverview;
  canRotate: boolean;
  canSign: boolean;
  /** Formats an epoch-ms time the way the gateway's answers do (its time zone). */
  time: (ms: number) => string;
  now: number;
  flash?: { text: string; error?: boolean };
}): RawHtml {
  const t = DEVELOPERS_STRINGS[o.language];
  const { overview } = o;

  const users = overview.users.map((u) => {
    const inGrace = u.previous_key_until !== null && u.previous_key_until > o.now;
    const rotate = o.canRotate
      ? html`<form method="post" action="/portal/developers/users/${u.id}/rotate-key" class="rotate">${o.csrf}<label for="grace-${u.id}">${t.grace}</label><select id="grace-${u.id}" name="grace_seconds">${PORTAL_GRACE_CHOICES.map(
          (s) => html`<option value="${s}"${s === DEFAULT_PORTAL_GRACE_SECONDS ? raw(' selected') : raw('')}>${graceLabel(t, s)}</option>`,
        )}</select><button class="button primary" type="submit">${t.rotate}</button></form>`
      : raw('');
    return html`<tr data-test="api-user" data-user-id="${u.id}"><td class="mono">${u.id}</td><td>${u.name}</td><td>${u.active ? html`<span class="badge ok">${t.active}</span>` : html`<span class="badge bad">${t.disabled}</span>`}</td><td class="mono">${u.wallet_ids.join(', ')}</td><td>${inGrace ? html`<span class="badge warn" data-test="key-grace">${fillIn(t.keyGrace, { time: o.time(u.previous_key_until as number) })}</span>` : t.keyCurrent}${rotate}</td></tr>`;
  });

  const wallets = overview.wallets.map(({ wallet, methods, accounts }) => {
    const methodRows = methods.map((m) => html`<tr data-test="method-route" data-method="${m.method}"><td>${methodName(m.method)}</td><td>${servedBy(t, m)}</td></tr>`);
    const accountList =
      accounts.length === 0
        ? html`<p class="muted">${t.noProviders}</p>`
        : accounts.map(
            (a) =>
              html`<div class="provider" data-test="provider-account"><h4>${a.provider} <span class="mono small">${a.account_id}</span></h4><dl class="facts"><dt>${t.methods}</dt><dd>${a.methods.map(methodName).join(', ')}</dd><dt>${t.notifyUrl}</dt><dd class="mono">${a.notify_url}</dd>${Object.entries(
                a.settings,
              ).map(([k, v]) => html`<dt>${k}</dt><dd class="mono">${v}</dd>`)}<dt>${t.updated}</dt><dd>${o.time(Date.parse(a.updated_at))}</dd></dl></div>`,
          );
    return html`<div class="card" data-test="wallet" data-wallet-id="${wallet.id}"><h3>${wallet.name}</h3><dl class="facts"><dt>${t.walletId}</dt><dd class="mono">${wallet.id}</dd><dt>${t.currency}</dt><dd>${wallet.currency}</dd><dt>${t.mode}</dt><dd>${Number(wallet.test) === 1 ? html`<span class="badge warn">${t.testWallet}</span>` : html`<span class="badge ok">${t.liveWallet}</span>`}</dd><dt>${t.limit}</dt><dd>${wallet.single_limit_minor === null ? t.noLimit : `${formatAmount(Number(wallet.single_limit_minor))} ${wallet.currency}`}</dd></dl>
<div class="table-wrap"><table class="table"><caption class="sr-only">${t.methods} · ${wallet.id}</caption><thead><tr><th scope="col">${t.method}</th><th scope="col">${t.servedBy}</th></tr></thead><tbody>${methodRows}</tbody></table></div>
<h4>${t.providers}</h4>${accountList}</div>`;
  });

  const c = overview.callbacks;
  const stat = (label: string, value: number, test: string, tone: string) =>
    html`<div class="card"><p class="muted">${label}</p><p class="stat${tone}" data-test="${test}">${value}</p></div>`;
  const troubled =
    c.troubled.length === 0
      ? raw('')
      : html`<h3>${t.troubled}</h3><div class="table-wrap"><table class="table"><thead><tr><th scope="col">${t.order}</th><th scope="col">${t.url}</th><th scope="col">${t.status}</th><th scope="col" class="num">${t.attempts}</th><th scope="col">${t.lastAttempt}</th><th scope="col">${t.lastResult}</th></tr></thead><tbody>${c.troubled.map(
          (n) =>
            html`<tr data-test="troubled-callback"><td class="mono">${n.order_id}</td><td class="mono">${n.url}</td><td>${n.status === 'abandoned' ? html`<span class="badge bad">${t.statusAbandoned}</span>` : html`<span class="badge warn">${t.statusPending}</span>`}</td><td class="num">${n.attempts}</td><td>${n.last_attempt_at === null ? '—' : o.time(n.last_attempt_at)}</td><td class="mono">${lastResult(n)}</td></tr>`,
        )}</tbody></table></div>`;

  const flash = o.flash ? html`<p class="flash${o.flash.error ? ' error' : ''}" role="status">${o.flash.text}</p>` : raw('');
  return html`<h1>${t.title}</h1>${flash}<p class="muted">${t.intro}</p>
<section class="card" aria-labelledby="integration"><h2 id="integration">${t.integration}</h2><dl class="facts"><dt>${t.baseUrl}</dt><dd><code data-test="base-url">${overview.base_url}</code><p class="muted small">${t.baseUrlHint}</p></dd></dl></section>
<section aria-labelledby="api-users"><h2 id="api-users">${t.apiUsers}</h2><p class="muted">${t.rotateHint}</p><div class="table-wrap"><table class="table"><thead><tr><th scope="col">${t.userId}</th><th scope="col">${t.name}</th><th scope="col">${t.status}</th><th scope="col">${t.walletsOfUser}</th><th scope="col">${t.apiKey}</th></tr></thead><tbody>${users}</tbody></table></div></section>
<section aria-labelledby="wallets"><h2 id="wallets">${t.wallets}</h2>${wallets}</section>
<section aria-labelledby="callbacks"><h2 id="callbacks">${t.callbacks}</h2><p class="muted">${t.callbacksIntro}</p><div class="grid">${stat(t.delivered, c.delivered, 'callbacks-delivered', '')}${stat(t.waiting, c.waiting, 'callbacks-waiting', '')}${stat(t.failing, c.failing, 'callbacks-failing', c.failing > 0 ? ' warn' : '')}${stat(t.abandoned, c.abandoned, 'callbacks-abandoned', c.abandoned > 0 ? ' bad' : '')}</div>
<p data-test="callbacks-oldest">${c.oldest_pending_at === null ? t.noneWaiting : fillIn(t.oldestPending, { time: o.time(c.oldest_pending_at) })}</p>${troubled}</section>
${o.canSign ? html`<section class="card" aria-labelledby="signature"><h2 id="signature">${t.signatureHelper}</h2><p>${t.signatureHelperIntro}</p><p><a class="button" href="/portal/developers/signature">${t.openSignatureHelper}</a></p></section>` : raw('')}`;
}
