import type { FastifyRequest } from 'fastify';
import { pickLanguage, stringsFor } from './i18n.js';
import { html, page } from './layout.js';
import { themeFor } from './theme.js';

export type MessageKind = 'notFound' | 'badRequest' | 'internal' | 'underReview';

/**
 * A plain page for a request we cannot serve: unknown nonce, bad request, our own failure
 * (an expired order gets the failure page, result-page.ts), or an order whose payment is
 * under review (it can take no other).
 * Answered from anywhere (the error handler too), so it finds the operator's theme through
 * the request's app.
 */
export function renderMessagePage(request: FastifyRequest, kind: MessageKind, _status: number): string {
  const language = pickLanguage(request);
  const t = stringsFor(language);
  const [title, text] = {
    notFound: [t.notFoundTitle, t.notFoundText],
    badRequest: [t.badRequestTitle, t.badRequestText],
    internal: [t.internalTitle, t.internalText],
    underReview: [t.underReviewTitle, t.underReviewText],
  }[kind];
  const theme = themeFor(request.server.gateway.config);
  return page({ language, theme, title, body: html`<h1 data-kind="${kind}" data-test="message-title">${title}</h1><p class="muted">${text}</p>` });
}
