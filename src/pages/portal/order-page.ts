import { formatAmount } from '../../domain/money.js';
import { formatWireTime } from '../../domain/time.js';
import type { OrderTimeline, TimelineEntry } from '../../gateway/portal/order-timeline.js';
import type { RefundRecord } from '../../store/refunds.js';
import type { Language } from '../i18n.js';
import { html, raw, type RawHtml } from '../layout.js';
import { statusBadge, zoneName } from './transactions-page.js';
import { fill, TRANSACTIONS_STRINGS, type TransactionsStrings } from './transactions-strings.js';

/** What the member viewing the order may do (their role, checked again by each action's route). */
export interface OrderPageViewer {
  readonly canRefund: boolean;
  readonly canCancel: boolean;
  readonly canResend: boolean;
  /** The hidden CSRF field of the member's session. */
  readonly csrf: RawHtml;
}

/** A message above the order: what the last action did (after its redirect), or why it was refused (re-rendered). */
export type OrderFlash = { readonly kind: 'done'; readonly text: string } | { readonly kind: 'error'; readonly text: string };

/** The refund form's values as the member typed them, kept when the form is shown again with a refusal. */
export interface RefundFormValues {
  readonly amount: string;
  readonly reason: string;
}

/** The order's page body: summary, actions the member may take, refunds, and its timeline. */
export function renderOrderBody(o: {
  language: Language;
  offsetMinutes: number;
  timeline: OrderTimeline;
  refunds: readonly RefundRecord[];
  viewer: OrderPageViewer;
  flash?: OrderFlash;
  refundForm?: RefundFormValues;
}): RawHtml {
  const t = TRANSACTIONS_STRINGS[o.language];
  const { order } = o.timeline;
  const time = (ms: number | null) => (ms === null ? '' : formatWireTime(Number(ms), o.offsetMinutes));
  const money = (minor: number) => `${formatAmount(minor)} ${order.currency}`;
  const path = `/portal/orders/${encodeURIComponent(order.order_id)}`;

  const flash = o.flash
    ? html`<div class="flash${o.flash.kind === 'error' ? raw(' error') : raw('')}" role="${o.flash.kind === 'error' ? 'alert' : 'status'}" data-test="flash">${o.flash.text}</div>`
    : raw('');
  const row = (label: string, value: RawHtml | string) => html`<tr><th scope="row">${label}</th><td>${value}</td></tr>`;
  const summary = html`<section class="card" aria-labelledby="summary-h"><h2 id="summary-h">${t.summary}</h2><table class="table" data-test="summary"><tbody>
${row(t.status, statusBadge(t, order.status))}
${row(t.amount, html`<span data-test="amount">${money(Number(order.amount_minor))}</span>`)}
${order.amount_cny_minor === null ? raw('') : row(t.amountCny, `${formatAmount(Number(order.amount_cny_minor))} CNY`)}
${row(t.method, order.payment_method)}
${row(t.reference, html`<span class="mono">${order.merchant_reference}</span>`)}
${row(t.product, order.product_name)}
${row(t.wallet, html`<span class="mono">${order.wallet_id}</span>`)}
${row(t.user, html`<span class="mono">${order.user_id}</span>`)}
${row(t.provider, order.provider_account_id ?? order.channel)}
${row(t.created, time(order.created_at))}
${order.paid_at === null ? row(t.expiresAt, time(order.expires_at)) : row(t.paidAt, time(order.paid_at))}
${row(t.callbackUrl, html`<span class="mono">${order.callback_url}</span>`)}
${order.review_reason ? row(t.flagged, html`<span class="badge warn">${order.review_reason}</span>`) : raw('')}
</tbody></table><p class="muted small">${fill(t.timesIn, { zone: zoneName(o.offsetMinutes) })}</p></section>`;

  return html`<p><a href="/portal/transactions">${t.backToList}</a></p>
<h1>${fill(t.orderTitle, { id: order.order_id })}</h1>
${flash}
<div class="grid">${summary}${renderActions(t, o, path)}</div>
${renderRefunds(t, o.refunds, time)}
${renderTimeline(t, o.timeline.entries, time)}`;
}

function renderActions(
  t: TransactionsStrings,
  o: { timeline: OrderTimeline; viewer: OrderPageViewer; refundForm?: RefundFormValues },
  path: string,
): RawHtml {
  const { order, refunds, callbacks, cancellable } = o.timeline;
  const parts: RawHtml[] = [];
  if (o.viewer.canRefund && order.status === 'paid') {
    const remaining = refunds.remainingMinor;
    const intro = html`<p data-test="refund-remaining">${fill(t.refundRemaining, { amount: formatAmount(remaining), refunded: formatAmount(refunds.refundedMinor), currency: order.currency })}</p>${refunds.partial ? raw('') : html`<p class="muted">${t.refundWholeOnly}</p>`}`;
    parts.push(
      remaining > 0
        ? html`<section class="card" aria-labelledby="refund-h"><h2 id="refund-h">${t.refundTitle}</h2>${intro}<form method="post" action="${path}/refund" data-confirm="${t.refundConfirm}" data-currency="${order.currency}">${o.viewer.csrf}
<div class="field"><label for="refund-amount">${fill(t.refundAmount, { currency: order.currency })}</label><input id="refund-amount" name="amount" type="text" inputmode="decimal" autocomplete="off" required value="${o.refundForm?.amount ?? formatAmount(refunds.partial ? remaining : Number(order.amount_minor))}"></div>
<div class="field"><label for="refund-reason">${t.refundReason}</label><input id="refund-reason" name="reason" type="text" maxlength="255" autocomplete="off" value="${o.refundForm?.reason ?? ''}" aria-describedby="refund-reason-hint"><p class="hint" id="refund-reason-hint">${t.refundReasonHint}</p></div>
<button class="button danger" type="submit">${t.refundButton}</button></form></section>`
        : html`<section class="card" aria-labelledby="refund-h"><h2 id="refund-h">${t.refundTitle}</h2><p data-test="refund-none">${t.refundNone}</p></section>`,
    );
  }
  if (o.viewer.canCancel && cancellable) {
    parts.push(
      html`<section class="card" aria-labelledby="cancel-h"><h2 id="cancel-h">${t.cancelTitle}</h2><p>${t.cancelText}</p><form method="post" action="${path}/cancel" data-confirm="${t.cancelConfirm}">${o.viewer.csrf}<button class="button danger" type="submit">${t.cancelButton}</button></form></section>`,
    );
  }
  if (o.viewer.canResend && callbacks.count > 0) {
    parts.push(
      html`<section class="card" aria-labelledby="resend-h"><h2 id="resend-h">${t.resendTitle}</h2><p>${t.resendText}</p><form method="post" action="${path}/resend-callback">${o.viewer.csrf}<button class="button" type="submit">${t.resendButton}</button></form></section>`,
    );
  }
  return html`${parts}`;
}

function renderRefunds(t: TransactionsStrings, refunds: readonly RefundRecord[], time: (ms: number | null) => string): RawHtml {
  if (refunds.length === 0) return raw('');
  const rows = refunds.map(
    (r) => html`<tr data-refund="${r.refund_id}"><td class="nowrap">${r.refund_id}</td><td class="nowrap">${time(r.created_at)}</td><td class="num">${formatAmount(Number(r.amount_minor))} ${r.currency}</td><td><span class="badge ${r.status === 'succeeded' ? 'ok' : r.status === 'failed' ? 'bad' : 'warn'}">${r.status}</span></td><td>${r.reference}</td></tr>`,
  );
  return html`<section aria-labelledby="refunds-h"><h2 id="refunds-h">${t.refundsTitle}</h2><div class="table-wrap"><table class="table" data-test="refunds"><thead><tr><th scope="col">${t.refundId}</th><th scope="col">${t.created}</th><th scope="col" class="num">${t.amount}</th><th scope="col">${t.status}</th><th scope="col">${t.refundReason}</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

function renderTimeline(t: TransactionsStrings, entries: readonly TimelineEntry[], time: (ms: number | null) => string): RawHtml {
  const rows = entries.map((e) => {
    const [event, details] = describeEntry(t, e);
    return html`<tr data-kind="${e.kind}"><td class="nowrap">${time(e.at)}</td><td>${event}</td><td>${details}</td></tr>`;
  });
  return html`<section aria-labelledby="timeline-h"><h2 id="timeline-h">${t.timelineTitle}</h2><div class="table-wrap"><table class="table" data-test="timeline"><caption class="sr-only">${t.timelineCaption}</caption><thead><tr><th scope="col">${t.when}</th><th scope="col">${t.event}</th><th scope="col">${t.details}</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

function describeEntry(t: TransactionsStrings, e: TimelineEntry): [string, RawHtml] {
  switch (e.kind) {
    case 'created':
      return [t.ev_created, raw('')];
    case 'attempt':
      return [t.ev_attempt, html`<span class="mono">${e.attemptId}</span> · ${e.provider} · ${e.flow} · ${e.status}`];
    case 'provider_event':
      return [t.ev_provider_event, html`${e.channel} · ${e.outcome} · <span class="mono">${e.eventId}</span>`];
    case 'provider_message':
      return [t.ev_provider_message, html`${e.provider} · ${e.messageKind}<br><code>${e.excerpt}</code>`];
    case 'status':
      return [fill(t.ev_status, { status: (t as Record<string, string>)[`status_${e.status}`] ?? e.status }), raw('')];
    case 'refund': {
      const label =
        e.step === 'requested'
          ? e.refundKind === 'reversal'
            ? t.ev_reversal_requested
            : t.ev_refund_requested
          : ((t as Record<string, string>)[`ev_refund_${e.step}`] ?? e.step);
      return [label, html`<span class="mono">${e.refundId}</span> · ${formatAmount(e.amountMinor)} ${e.currency}${e.reference ? html` · ${e.reference}` : raw('')}${e.failure && e.step === 'failed' ? html` · ${e.failure}` : raw('')}`];
    }
    case 'callback_queued':
      return [t.ev_callback_queued, html`<span class="mono">${e.url}</span>`];
    case 'callback_attempt': {
      const status = e.httpStatus === null ? (e.error ?? t.noAnswer) : fill(t.httpStatus, { status: e.httpStatus });
      const body = e.bodyExcerpt ? html` · ${t.body}: <code>${e.bodyExcerpt}</code>` : raw('');
      return [t.ev_callback_attempt, html`<span data-test="callback-status">${status}</span> · ${fill(t.duration, { ms: e.durationMs })}${body}${e.httpStatus !== null && e.error ? html` · ${e.error}` : raw('')}`];
    }
  }
}

/**
 * The page's one script (run with the response's CSP nonce): a form with `data-confirm`
 * (Refund, Cancel) asks before it posts; the refund's message carries the amount typed.
 */
export const ORDER_PAGE_SCRIPT = `document.querySelectorAll('form[data-confirm]').forEach(function (form) {
  form.addEventListener('submit', function (event) {
    var amount = form.querySelector('input[name=amount]');
    var text = form.getAttribute('data-confirm').replace('{amount}', amount ? amount.value : '').replace('{currency}', form.getAttribute('data-currency') || '');
    if (!window.confirm(text)) event.preventDefault();
  });
});`;
