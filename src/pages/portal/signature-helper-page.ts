import { SIGNED_ENDPOINTS, type PastedRequestProblem, type SignatureExplanation } from '../../domain/signature-helper.js';
import type { Language } from '../i18n.js';
import { html, raw, type RawHtml } from '../layout.js';
import { fillIn } from './core-strings.js';
import { DEVELOPERS_STRINGS, type DevelopersStrings } from './developers-strings.js';

function problemText(t: DevelopersStrings, problem: PastedRequestProblem | { problem: 'endpoint' }): string {
  switch (problem.problem) {
    case 'empty':
      return t.errEmpty;
    case 'bad_json':
      return t.errBadJson;
    case 'not_flat':
      return fillIn(t.errNotFlat, { field: problem.field });
    case 'endpoint':
      return t.errEndpoint;
  }
}

function explanation(t: DevelopersStrings, e: SignatureExplanation): RawHtml {
  const rows = e.fields.map(
    (f) =>
      html`<tr data-test="field" data-name="${f.name}"><td class="mono">${f.name}${f.fromPath ? html` <span class="muted small">${t.fromPath}</span>` : raw('')}</td><td class="mono">${f.value}</td><td>${f.left === null ? html`<span class="badge ok">${t.yes}</span>` : f.left === 'signature' ? t.leftSignature : t.leftEmpty}</td></tr>`,
  );
  const variants =
    e.variants.length === 0
      ? raw('')
      : html`<h3>${t.variants}</h3><p class="muted small">${t.variantsHint}</p><ul class="variants">${e.variants.map(
          (v) => html`<li data-test="variant" data-form="${v.form}"><span class="badge">${v.form}</span> <code>${v.message}</code>${v.form.startsWith('legacy-') ? html` <span class="muted small">${t.legacyNote}</span>` : raw('')}</li>`,
        )}</ul>`;
  return html`<section class="card" aria-labelledby="result" data-test="explanation"><h2 id="result">${t.result}: ${e.endpoint.method} ${e.endpoint.path}</h2>
${e.missing.length > 0 ? html`<p class="flash error" data-test="missing">${fillIn(t.missing, { names: e.missing.join(', ') })}</p>` : raw('')}
${e.hasSignature ? raw('') : html`<p class="muted">${t.noSignature}</p>`}
<h3>${t.stringToSign}</h3><pre class="sign"><code data-test="string-to-sign">${e.stringToSign}</code></pre><p>${t.howToSign}</p>
<h3>${t.signedFields}</h3><p class="mono" data-test="signed-fields">${e.signedNames.join(', ')}</p>
<h3>${t.fields}</h3><div class="table-wrap"><table class="table"><thead><tr><th scope="col">${t.field}</th><th scope="col">${t.value}</th><th scope="col">${t.signedQ}</th></tr></thead><tbody>${rows}</tbody></table></div>
${variants}</section>`;
}

/**
 * `/portal/developers/signature`: the form (an endpoint, a pasted request) and, after a
 * post, what the gateway expects to be signed. The key never appears: `<api_key>` stands for it.
 */
export function renderSignatureHelperBody(o: {
  language: Language;
  csrf: RawHtml;
  endpointId?: string;
  pasted?: string;
  outcome?: SignatureExplanation | PastedRequestProblem | { problem: 'endpoint' };
}): RawHtml {
  const t = DEVELOPERS_STRINGS[o.language];
  const chosen = o.endpointId ?? SIGNED_ENDPOINTS[0]?.id;
  const problem = o.outcome && 'problem' in o.outcome ? o.outcome : undefined;
  const form = html`<form class="card" method="post" action="/portal/developers/signature">${o.csrf}
<div class="field"><label for="endpoint">${t.endpoint}</label><select id="endpoint" name="endpoint">${SIGNED_ENDPOINTS.map(
    (e) => html`<option value="${e.id}"${e.id === chosen ? raw(' selected') : raw('')}>${e.method} ${e.path}</option>`,
  )}</select></div>
<div class="field"><label for="request">${t.request}</label><textarea id="request" name="request" rows="8" spellcheck="false" autocomplete="off" aria-describedby="request-hint${problem ? ' request-error' : ''}"${problem ? raw(' aria-invalid="true"') : raw('')}>${o.pasted ?? ''}</textarea><p class="hint" id="request-hint">${t.requestHint}</p>${problem ? html`<p class="error" id="request-error" role="alert" data-test="helper-problem">${problemText(t, problem)}</p>` : raw('')}</div>
<p class="actions"><button class="button primary" type="submit">${t.explain}</button></p></form>`;
  return html`<p><a href="/portal/developers">← ${t.backToDevelopers}</a></p><h1>${t.helperTitle}</h1><p class="muted">${t.helperIntro}</p>${form}${o.outcome && !('problem' in o.outcome) ? explanation(t, o.outcome) : raw('')}`;
}
