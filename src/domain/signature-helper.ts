import { API_KEY_PLACEHOLDER, joinParams, stringToSign, type ParamValue, type SignatureForm } from './signature.js';

/**
 * The portal's signature helper, pure: a request a developer pastes (a JSON body, a form, or
 * a URL with its query string) and the endpoint it goes to give the message the gateway
 * expects to be signed, with the key shown as `<api_key>`, exactly as a 206's hint builds it.
 * It never needs the key and never says whether a signature is right.
 */

/** An endpoint that verifies a signed request (spec §4), and what its signature covers. */
export interface SignedEndpoint {
  readonly id: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  /** A field the path carries (`/v2/transaction/{merchant_reference}`), signed as if it were a parameter. */
  readonly pathField?: 'merchant_reference' | 'wallet_id';
  /** What the endpoint requires besides `signature` (204 without it). */
  readonly required: readonly string[];
  /** The endpoint's own extra forms (spec §2.2.4–6 and the mini Alipay one), from the fields given. */
  readonly extra?: (text: (name: string) => string, entries: ReadonlyArray<readonly [string, string]>) => ReadonlyArray<{ form: SignatureForm; message: string }>;
}

const CREATE_FIELDS = ['user_id', 'wallet_id', 'amount', 'payment_method', 'callback_url', 'merchant_reference', 'ip', 'version', 'product_name'];

export const SIGNED_ENDPOINTS: readonly SignedEndpoint[] = [
  {
    id: 'transaction.create',
    method: 'POST',
    path: '/v2/transaction',
    required: CREATE_FIELDS,
    extra: (t) => [
      // HMAC of the concatenation itself: nothing is appended (spec §2.2.4).
      { form: 'legacy-create', message: t('user_id') + t('wallet_id') + t('amount') + t('payment_method') + t('return_url') + t('callback_url') },
      { form: 'legacy-create-oldest', message: t('user_id') + t('wallet_id') + t('amount') + t('payment_method') + t('callback_url') },
    ],
  },
  {
    id: 'transaction.query',
    method: 'GET',
    path: '/v2/transaction/{merchant_reference}',
    pathField: 'merchant_reference',
    required: ['user_id', 'merchant_reference'],
    extra: (t) => [{ form: 'legacy-query', message: t('merchant_reference') + t('user_id') }],
  },
  { id: 'refund', method: 'POST', path: '/refund', required: ['user_id', 'order_id', 'refund_amount'] },
  { id: 'cancel', method: 'POST', path: '/cancel', required: ['user_id', 'merchant_reference'] },
  { id: 'barcode', method: 'POST', path: '/barcode', required: ['user_id', 'wallet_id', 'amount', 'pay_code'] },
  {
    id: 'detail',
    method: 'GET',
    path: '/v2/detail/{wallet_id}',
    pathField: 'wallet_id',
    required: ['user_id', 'wallet_id'],
    extra: (t) => [{ form: 'legacy-detail', message: t('wallet_id') + t('user_id') }],
  },
  { id: 'all_rate', method: 'GET', path: '/v2/all_rate', required: ['user_id', 'wallet_id'] },
  { id: 'invoice.create', method: 'POST', path: '/v2/invoice', required: ['user_id', 'wallet_id', 'amount'] },
  { id: 'invoice.query', method: 'GET', path: '/v2/invoice', required: ['user_id'] },
  { id: 'invoice.list', method: 'GET', path: '/v2/invoices', required: ['user_id', 'start_time'] },
  { id: 'invoice.update', method: 'PUT', path: '/v2/invoice', required: ['user_id', 'wallet_id', 'amount'] },
  { id: 'invoice.delete', method: 'DELETE', path: '/v2/invoice', required: ['user_id'] },
  { id: 'invoice.refund', method: 'POST', path: '/v2/invoice/refund', required: ['user_id'] },
  { id: 'miniapppay', method: 'POST', path: '/v2/miniapppay', required: ['user_id', 'wallet_id', 'amount', 'notify_url', 'merchant_reference', 'product_name', 'app_id', 'open_id'] },
  {
    id: 'minialipay',
    method: 'POST',
    path: '/v2/minialipay',
    required: ['user_id', 'wallet_id', 'amount', 'callback_url', 'merchant_reference', 'ip', 'version', 'product_name'],
    extra: (t, entries) =>
      t('payment_method') === '' ? [] : [{ form: 'sorted-without-payment-method', message: stringToSign(entries.filter(([name]) => name !== 'payment_method')) }],
  },
];

export function findSignedEndpoint(id: string): SignedEndpoint | undefined {
  return SIGNED_ENDPOINTS.find((e) => e.id === id);
}

/** Why a pasted request could not be read. */
export type PastedRequestProblem =
  | { problem: 'empty' }
  | { problem: 'bad_json' }
  /** A JSON value that is not a flat object of scalars, or a field given twice. */
  | { problem: 'not_flat'; field: string };

/** A field of the request as the gateway reads it, and whether the sorted form signs it. */
export interface ExplainedField {
  readonly name: string;
  /** The value as a signature uses it (JavaScript's String()); '' for null. */
  readonly value: string;
  /** `signature` is never signed; null and empty values are left out of the sorted form. */
  readonly left: 'signature' | 'empty' | null;
  /** The field came from the URL's path. */
  readonly fromPath: boolean;
}

export interface SignatureExplanation {
  readonly endpoint: SignedEndpoint;
  /** In the order received (the path's field first). */
  readonly fields: readonly ExplainedField[];
  /** The names the sorted form signs, in its order. */
  readonly signedNames: readonly string[];
  /** The sorted form's message (spec §2.1), the key shown as `<api_key>`. */
  readonly stringToSign: string;
  /** The other forms the gateway also accepts that differ from the sorted one (spec §2.2). */
  readonly variants: ReadonlyArray<{ form: SignatureForm; message: string }>;
  /** Required fields absent or empty (the gateway answers 204 for the first). */
  readonly missing: readonly string[];
  /** Whether a `signature` field was given (the helper never checks it). */
  readonly hasSignature: boolean;
}

/**
 * Explains the signature of `pasted` sent to `endpoint`: a JSON object (`{…}`), a form or
 * query string (`a=1&b=2`), or a URL or path with its query string, optionally after the
 * HTTP method (`GET /v2/transaction/ref-1?user_id=…`). For an endpoint whose path carries a
 * field, a pasted path's last segment is that field, as the gateway reads it.
 */
export function explainSignature(endpoint: SignedEndpoint, pasted: string): SignatureExplanation | PastedRequestProblem {
  const read = readPastedRequest(pasted);
  if ('problem' in read) return read;
  let entries: Array<readonly [string, ParamValue]> = read.entries;
  let pathNames = new Set<string>();
  if (endpoint.pathField && read.pathSegment !== undefined) {
    const name = endpoint.pathField;
    entries = [[name, read.pathSegment], ...entries.filter(([key]) => key !== name)];
    pathNames = new Set([name]);
  }
  const asText = (value: ParamValue) => (value === null || value === undefined ? '' : String(value));
  const fields: ExplainedField[] = entries.map(([name, value]) => ({
    name,
    value: asText(value),
    left: name === 'signature' ? 'signature' : asText(value) === '' ? 'empty' : null,
    fromPath: pathNames.has(name),
  }));
  const signedNames = fields
    .filter((f) => f.left === null)
    .map((f) => f.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const sorted = stringToSign(entries);
  const variants: Array<{ form: SignatureForm; message: string }> = [];
  const seen = new Set([sorted]);
  const add = (form: SignatureForm, message: string) => {
    if (seen.has(message)) return;
    seen.add(message);
    variants.push({ form, message });
  };
  add('sorted-keep-empty', joinParams(entries, { keepEmpty: true }) + API_KEY_PLACEHOLDER);
  add('received-order', joinParams(entries, { sorted: false }) + API_KEY_PLACEHOLDER);
  add('received-order-keep-empty', joinParams(entries, { sorted: false, keepEmpty: true }) + API_KEY_PLACEHOLDER);
  const byName = new Map(fields.map((f) => [f.name, f.value]));
  const text = (name: string) => byName.get(name) ?? '';
  const textEntries = fields.filter((f) => f.name !== 'signature').map((f) => [f.name, f.value] as const);
  for (const extra of endpoint.extra?.(text, textEntries) ?? []) add(extra.form, extra.message);
  return {
    endpoint,
    fields,
    signedNames,
    stringToSign: sorted,
    variants,
    missing: endpoint.required.filter((name) => text(name) === ''),
    hasSignature: text('signature') !== '',
  };
}

/** The pasted text's fields in order, and the last segment of its path when it had one. */
export function readPastedRequest(pasted: string): { entries: Array<readonly [string, ParamValue]>; pathSegment?: string } | PastedRequestProblem {
  const text = pasted.trim().replace(/^(GET|POST|PUT|DELETE)\s+/i, '');
  if (text === '') return { problem: 'empty' };
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { problem: 'bad_json' };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { problem: 'bad_json' };
    const entries: Array<readonly [string, ParamValue]> = [];
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      if (value !== null && typeof value === 'object') return { problem: 'not_flat', field: key };
      entries.push([key, value as ParamValue]);
    }
    return { entries };
  }
  const looksLikeUrl = /^(https?:\/\/|\/)/i.test(text);
  let query = text;
  let pathSegment: string | undefined;
  if (looksLikeUrl) {
    const mark = text.indexOf('?');
    const path = (mark === -1 ? text : text.slice(0, mark)).replace(/^https?:\/\/[^/]*/i, '').replace(/\/+$/, '');
    query = mark === -1 ? '' : text.slice(mark + 1);
    const segment = path.slice(path.lastIndexOf('/') + 1);
    try {
      pathSegment = segment === '' ? undefined : decodeURIComponent(segment);
    } catch {
      pathSegment = segment;
    }
  }
  const entries: Array<readonly [string, ParamValue]> = [];
  const names = new Set<string>();
  for (const [key, value] of new URLSearchParams(query.replace(/^\?/, ''))) {
    // The gateway refuses a field given twice (207): it has no single value to sign.
    if (names.has(key)) return { problem: 'not_flat', field: key };
    names.add(key);
    entries.push([key, value]);
  }
  return pathSegment === undefined ? { entries } : { entries, pathSegment };
}
