import type { PaymentLinkForm, PaymentLinkProblem, PaymentLinkProblemCode } from '../../gateway/create-payment-link.js';
import { formatAmount } from '../../domain/money.js';
import type { WalletRecord } from '../../store/merchants.js';
import type { Language } from '../i18n.js';
import { html, raw, type RawHtml } from '../layout.js';
import { LINKS_STRINGS, type LinksStrings } from './links-strings.js';

/** The periods the form offers (minutes), the API's default (a day) first chosen. */
export const PERIOD_CHOICES = [60, 1_440, 10_080, 43_200] as const;
export const DEFAULT_PERIOD = 1_440;

function problemText(t: LinksStrings, code: PaymentLinkProblemCode): string {
  const texts: Record<PaymentLinkProblemCode, string> = {
    required: t.errRequired,
    bad_amount: t.errBadAmount,
    too_long: t.errTooLong,
    bad_number: t.errBadNumber,
    bad_url: t.errBadUrl,
    not_public: t.errNotPublic,
    over_limit: t.errOverLimit,
    no_user: t.errNoUser,
    no_method: t.errNoMethod,
    reused: t.errReused,
    failed: t.errFailed,
  };
  return texts[code];
}

/**
 * `/portal/payment-links/new`: the form, with what was typed and each problem beside its
 * field (aria-invalid, described by the message) and a summary on top that takes focus.
 */
export function renderPaymentLinkFormBody(o: {
  language: Language;
  csrf: RawHtml;
  wallets: readonly WalletRecord[];
  values?: Partial<PaymentLinkForm>;
  problems?: readonly PaymentLinkProblem[];
}): RawHtml {
  const t = LINKS_STRINGS[o.language];
  const values = o.values ?? {};
  const problems = o.problems ?? [];
  const problemOf = (field: PaymentLinkProblem['field']) => problems.find((p) => p.field === field);

  const field = (name: keyof PaymentLinkForm, label: string, control: (attributes: RawHtml) => RawHtml, hint?: string) => {
    const problem = problemOf(name);
    const describedBy = [hint ? `${name}-hint` : '', problem ? `${name}-error` : ''].filter(Boolean).join(' ');
    const attributes = html`id="${name}" name="${name}"${describedBy ? html` aria-describedby="${describedBy}"` : raw('')}${problem ? raw(' aria-invalid="true"') : raw('')}`;
    return html`<div class="field"><label for="${name}">${label}</label>${control(attributes)}${hint ? html`<p class="hint" id="${name}-hint">${hint}</p>` : raw('')}${problem ? html`<p class="error" id="${name}-error" data-test="error-${name}">${problemText(t, problem.code)}</p>` : raw('')}</div>`;
  };
  const text = (name: keyof PaymentLinkForm, label: string, options: { hint?: string; type?: string; extra?: RawHtml; required?: boolean } = {}) =>
    field(
      name,
      options.required ? label : `${label} ${t.optional}`,
      (a) => html`<input ${a} type="${options.type ?? 'text'}" value="${values[name] ?? ''}"${options.required ? raw(' required') : raw('')}${options.extra ?? raw('')}>`,
      options.hint,
    );

  const chosenWallet = values.wallet_id ?? o.wallets[0]?.id;
  const walletSelect = field(
    'wallet_id',
    t.wallet,
    (a) =>
      html`<select ${a} required>${o.wallets.map(
        (w) =>
          html`<option value="${w.id}"${w.id === chosenWallet ? raw(' selected') : raw('')}>${w.name} · ${w.currency} (${w.id})${w.single_limit_minor !== null ? ` ≤ ${formatAmount(Number(w.single_limit_minor))}` : ''}</option>`,
      )}</select>`,
    t.walletHint,
  );
  const period = Number(values.period_time ?? DEFAULT_PERIOD);
  const periodLabels: Record<(typeof PERIOD_CHOICES)[number], string> = { 60: t.period60, 1440: t.period1440, 10080: t.period10080, 43200: t.period43200 };
  const periodSelect = field(
    'period_time',
    t.periodTime,
    (a) => html`<select ${a}>${PERIOD_CHOICES.map((m) => html`<option value="${m}"${m === period ? raw(' selected') : raw('')}>${periodLabels[m]}</option>`)}</select>`,
  );
  const formProblem = problemOf('form');
  const summary =
    problems.length > 0
      ? html`<p class="flash error" role="alert" tabindex="-1" id="problems" data-test="form-problems">${formProblem ? problemText(t, formProblem.code) : t.fixErrors}</p>`
      : raw('');
  if (o.wallets.length === 0) return html`<h1>${t.newTitle}</h1><div class="card"><p>${t.noWallets}</p><p><a href="/portal/payment-links">${t.back}</a></p></div>`;
  return html`<h1>${t.newTitle}</h1>${summary}<form class="card" method="post" action="/portal/payment-links/new" novalidate>${o.csrf}
${walletSelect}
${text('amount', t.amount, { hint: t.amountHint, required: true, extra: raw(' inputmode="decimal" autocomplete="off"') })}
${text('product_name', t.productName, { hint: t.productNameHint, extra: raw(' maxlength="255"') })}
${text('customer_reference', t.customerReference, { extra: raw(' maxlength="255"') })}
${text('customer_order_id', t.customerOrderId, { hint: t.customerOrderIdHint, extra: raw(' maxlength="128" autocomplete="off"') })}
${periodSelect}
${text('max_open_count', t.maxOpenCount, { hint: t.maxOpenCountHint, extra: raw(' inputmode="numeric" autocomplete="off"') })}
${text('return_url', t.returnUrl, { hint: t.returnUrlHint, type: 'url' })}
${text('notify_url', t.notifyUrl, { hint: t.notifyUrlHint, type: 'url' })}
<div class="field"><label class="check"><input type="checkbox" name="qrcode" value="on"${values.qrcode === 'on' ? raw(' checked') : raw('')}> ${t.qrcode}</label></div>
<p class="actions"><button class="button primary" type="submit">${t.create}</button><a href="/portal/payment-links">${t.cancel}</a></p>
</form>`;
}

/** Moves focus to the summary of problems, so a screen reader hears it first. */
export const FOCUS_PROBLEMS_SCRIPT = `var p = document.getElementById('problems'); if (p) p.focus();`;
