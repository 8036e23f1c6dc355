import { ProviderError } from '../provider.js';

/**
 * Antom's `result {resultCode, resultStatus, resultMessage}` and what the gateway may conclude
 * from it (docs/providers/antom-protocol.md §8): `S` the call succeeded, `F` it failed for
 * good, `U` nothing can be concluded (in process, or an unknown error: inquire, or repeat
 * the request with the same id).
 */
export interface AntomResult {
  readonly resultCode: string;
  readonly resultStatus: 'S' | 'F' | 'U';
  readonly resultMessage: string;
}

/** Credentials, contract or path problems: an operator must act; nothing was done. */
const MISCONFIGURED = new Set([
  'KEY_NOT_FOUND',
  'INVALID_SIGNATURE',
  'SIGNATURE_INVALID',
  'ACCESS_DENIED',
  'INVALID_CLIENT',
  'CLIENT_INVALID',
  'INVALID_API',
  'NO_INTERFACE_DEF',
  'API_INVALID',
  'METHOD_NOT_SUPPORTED',
  'INVALID_CONTRACT',
  'CONTRACT_NOT_FOUND',
  'MERCHANT_NOT_REGISTERED',
  'INVALID_MERCHANT_STATUS',
]);

/** The request was not acted on (refused as it stands): nothing happened, a fix or a retry may follow. */
const NOT_DONE = new Set(['PARAM_ILLEGAL', 'REPEAT_REQ_INCONSISTENT', 'REQUEST_TRAFFIC_EXCEED_LIMIT', 'CURRENCY_NOT_SUPPORT', 'PAYMENT_METHOD_NOT_SUPPORTED']);

/** Authentication failures: Antom answers them unsigned, before it does anything (§3). */
export const UNSIGNED_REFUSALS = new Set(['KEY_NOT_FOUND', 'INVALID_SIGNATURE', 'SIGNATURE_INVALID', 'ACCESS_DENIED', 'INVALID_CLIENT', 'CLIENT_INVALID', 'PARAM_ILLEGAL']);

export function describeResult(result: AntomResult): string {
  return `${result.resultStatus}/${result.resultCode}${result.resultMessage ? ` (${result.resultMessage})` : ''}`;
}

/**
 * The ProviderError of a result that is not the answer the caller wanted: `U` is `unknown`
 * (the request may have taken effect); `F` is `misconfigured`, `not_done`, or else a final
 * refusal (`declined`: USER_BALANCE_NOT_ENOUGH, RISK_REJECT, ORDER_IS_CLOSED, REFUND_AMOUNT_EXCEED…).
 */
export function errorOfResult(operation: string, result: AntomResult): ProviderError {
  const message = `Antom ${operation}: ${describeResult(result)}`;
  const options = { providerCode: result.resultCode };
  if (result.resultStatus !== 'F') return new ProviderError('unknown', message, options);
  if (MISCONFIGURED.has(result.resultCode)) return new ProviderError('misconfigured', message, options);
  if (NOT_DONE.has(result.resultCode)) return new ProviderError('not_done', message, options);
  return new ProviderError('declined', message, options);
}

/** Reads `result` from an answer body; undefined when it is not Antom's shape. */
export function resultOf(body: unknown): AntomResult | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const result = (body as Record<string, unknown>).result;
  if (typeof result !== 'object' || result === null) return undefined;
  const { resultCode, resultStatus, resultMessage } = result as Record<string, unknown>;
  if (typeof resultCode !== 'string' || (resultStatus !== 'S' && resultStatus !== 'F' && resultStatus !== 'U')) return undefined;
  return { resultCode, resultStatus, resultMessage: typeof resultMessage === 'string' ? resultMessage : '' };
}
