/**
 * The one catalogue of error codes the gateway answers with: the Latipay codes of the
 * wire contract (spec §5). The HTTP edge turns a LatipayError into `{code, message}`
 * with HTTP 200; tests assert the code, never the message.
 */
export const ERROR_CODES = {
  FAIL: 1,
  DATA_ERROR: 3,
  USER_NOT_FOUND: 110,
  ORDER_NOT_FOUND: 201,
  MISSING_FIELD: 204,
  UNKNOWN_USER: 205,
  BAD_SIGNATURE: 206,
  BAD_PARAMETER: 207,
  GATEWAY_NOT_FOUND: 300,
  WRONG_ACCOUNT: 301,
  PAY_COMPANY_NOT_FOUND: 302,
  UNKNOWN_METHOD: 303,
  METHOD_NOT_ENABLED: 304,
  NO_MARGIN_PLAN: 305,
  WALLET_NOT_ASSIGNED: 450,
  OVER_LIMIT: 454,
  REFUND_BAD_PARAMETERS: 550,
  REFUND_ORDER_NOT_FOUND: 551,
  REFUND_FAILED: 556,
  REFUND_NOT_FOUND: 558,
  INSUFFICIENT_BALANCE: 559,
  REFUND_DUPLICATE: 562,
  ALREADY_PAID: 900,
  ALREADY_FAILED: 901,
  /** [ours] Too many failed authentications or open connections: HTTP 429 with Retry-After. */
  TOO_MANY_REQUESTS: 429,
} as const;

export type ErrorName = keyof typeof ERROR_CODES;
export type ErrorCode = (typeof ERROR_CODES)[ErrorName];

const DEFAULT_MESSAGES: Record<ErrorName, string> = {
  FAIL: 'FAIL',
  DATA_ERROR: 'data error',
  USER_NOT_FOUND: 'user does not exist',
  ORDER_NOT_FOUND: 'order does not exist',
  MISSING_FIELD: 'some input fields are null',
  UNKNOWN_USER: 'no key for this user, or the user is disabled',
  BAD_SIGNATURE: 'signature from merchant request is wrong',
  BAD_PARAMETER: 'parameter is wrong',
  GATEWAY_NOT_FOUND: 'gateway does not exist',
  WRONG_ACCOUNT: 'wrong account or currency info',
  PAY_COMPANY_NOT_FOUND: 'pay company does not exist',
  UNKNOWN_METHOD: 'wrong pay type from merchant',
  METHOD_NOT_ENABLED: 'wallet does not support this payment method',
  NO_MARGIN_PLAN: 'no margin plan for the merchant',
  WALLET_NOT_ASSIGNED: 'wallet not assigned to user',
  OVER_LIMIT: "exceeds the merchant's single-payment limit",
  REFUND_BAD_PARAMETERS: 'refund parameters wrong',
  REFUND_ORDER_NOT_FOUND: "refund's order does not exist",
  REFUND_FAILED: 'creating the refund failed',
  REFUND_NOT_FOUND: 'refund order does not exist',
  INSUFFICIENT_BALANCE: 'insufficient amount in the wallet',
  REFUND_DUPLICATE: 'this refund request has already been done',
  ALREADY_PAID: 'transaction already completed',
  ALREADY_FAILED: 'transaction already failed',
  TOO_MANY_REQUESTS: 'too many requests',
};

/** A business outcome that is answered to the caller as `{code, message}`. */
export class LatipayError extends Error {
  readonly code: ErrorCode;
  readonly errorName: ErrorName;

  constructor(name: ErrorName, detail?: string) {
    super(detail ? `${DEFAULT_MESSAGES[name]}: ${detail}` : DEFAULT_MESSAGES[name]);
    this.name = 'LatipayError';
    this.errorName = name;
    this.code = ERROR_CODES[name];
  }
}

/**
 * Refused before the application looked at the request (too many failed authentications,
 * too many open streams): the one business error answered with an HTTP status other than
 * 200, 429, with `Retry-After`, because clients must back off rather than retry at once.
 */
export class TooManyRequestsError extends LatipayError {
  readonly retryAfterSeconds: number;

  constructor(detail: string, retryAfterSeconds: number) {
    super('TOO_MANY_REQUESTS', detail);
    this.retryAfterSeconds = Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** An error answered before, given again word for word (an Idempotency-Key's repeat). */
export function repeatedLatipayError(name: ErrorName, message: string): LatipayError {
  const error = new LatipayError(name);
  error.message = message;
  return error;
}

export function isErrorName(name: string): name is ErrorName {
  return Object.hasOwn(ERROR_CODES, name);
}

export function latipayError(name: ErrorName, detail?: string): LatipayError {
  return new LatipayError(name, detail);
}

export function isLatipayError(error: unknown): error is LatipayError {
  return error instanceof LatipayError;
}
