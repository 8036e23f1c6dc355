import type { FastifyRequest } from 'fastify';
import { pickLanguage, stringsFor } from './i18n.js';
import { html, page } from './layout.js';

export type MessageKind = 'notFound' | 'expired' | 'badRequest' | 'internal';

/** A plain page for a request we cannot serve: unknown or expired nonce, bad request, our own failure. */
export function renderMessagePage(request: FastifyRequest, kind: MessageKind, _status: number): string {
  const language = pickLanguage(request);
  const t = stringsFor(language);
  const [title, text] = {
    notFound: [t.notFoundTitle, t.notFoundText],
    expired: [t.expiredTitle, t.expiredText],
    badRequest: [t.badRequestTitle, t.badRequestText],
    internal: [t.internalTitle, t.internalText],
  }[kind];
  return page({ language, title, body: html`<h1 data-test="message-title">${title}</h1><p class="muted">${text}</p>` });
}
