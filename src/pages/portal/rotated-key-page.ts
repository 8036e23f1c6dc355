import type { RotatedKey } from '../../gateway/rotate-api-key.js';
import type { Language } from '../i18n.js';
import { html, raw, type RawHtml } from '../layout.js';
import { fillIn } from './core-strings.js';
import { DEVELOPERS_STRINGS } from './developers-strings.js';

/**
 * The answer of "Rotate API key": the new key, the only time it is shown (the route sends
 * it with Cache-Control: no-store), and until when the old one still works.
 */
export function renderRotatedKeyBody(o: { language: Language; rotated: RotatedKey; time: (ms: number) => string }): RawHtml {
  const t = DEVELOPERS_STRINGS[o.language];
  const until = o.rotated.old_key_valid_until;
  return html`<h1>${t.newKeyTitle}</h1><p class="flash error" role="alert">${t.newKeyWarning}</p>
<div class="card"><dl class="facts"><dt>${t.newKeyFor}</dt><dd class="mono" data-test="rotated-user">${o.rotated.user_id}</dd></dl>
<div class="field"><label for="new-key">${t.newKey}</label><span class="copy"><input class="mono" id="new-key" type="text" readonly value="${o.rotated.api_key}" autocomplete="off" spellcheck="false" data-test="new-key"><button class="button" type="button" data-copy="new-key" data-copied="${t.copied}" data-failed="${t.copyFailed}">${t.copyKey}</button></span></div>
<p data-test="old-key-until">${until === null ? t.oldKeyEnded : fillIn(t.oldKeyUntil, { time: o.time(Date.parse(until)) })}</p>
<p><a class="button" href="/portal/developers">${t.backToDevelopers}</a></p></div>${raw('<p class="sr-only" id="copy-status" role="status" aria-live="polite"></p>')}`;
}
