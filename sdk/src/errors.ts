/**
 * What a call can fail with. Every class extends `LatipaySdkError`, so one `instanceof`
 * catches them all; each says one thing:
 *  - `LatipayError`: the gateway answered, with a Latipay `code` other than 0 (spec §5);
 *  - `LatipaySignatureError`: an answer, callback or redirect whose signature does not verify;
 *  - `LatipayHttpError`: an answer that is not a Latipay answer (HTTP status not 2xx, not JSON);
 *  - `LatipayConnectionError`: no answer at all (connection refused or reset, DNS, timeout).
 */
/**
 * The base of every error the SDK throws.
 *
 * @example
 * try {
 *   await latipay.refund({ order_id, refund_amount: '5.00' });
 * } catch (error) {
 *   if (!(error instanceof LatipaySdkError)) throw error; // a bug of ours, not Latipay's answer
 *   log.warn({ err: error }, 'refund not done');
 * }
 */
export class LatipaySdkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The gateway answered `code !== 0`. `code` is Latipay's (204 missing field, 206 bad
 * signature, 201 order not found, 900 already paid…); `response` is the whole answer.
 *
 * @example
 * try {
 *   await latipay.cancel('order-1001');
 * } catch (error) {
 *   if (error instanceof LatipayError && error.code === 900) console.log('already paid');
 *   else throw error;
 * }
 */
export class LatipayError extends LatipaySdkError {
  readonly code: number;
  readonly response: Readonly<Record<string, unknown>>;

  constructor(code: number, message: string, response: Readonly<Record<string, unknown>>) {
    super(`Latipay error ${code}: ${message}`);
    this.code = code;
    this.response = response;
  }
}

/**
 * A signature did not verify: an answer of the gateway (a wrong api_key, or something in
 * between that altered it), or a callback or redirect that is forged or tampered with.
 * Never act on the data that came with it.
 *
 * @example
 * try {
 *   const event = latipay.verifyReturn(request.url);
 * } catch (error) {
 *   if (error instanceof LatipaySignatureError) return showPage(400, 'This link is not genuine.');
 *   throw error;
 * }
 */
export class LatipaySignatureError extends LatipaySdkError {}

/**
 * The answer was not a Latipay answer: an HTTP status other than 2xx (a proxy's 502, the
 * gateway's 413), or a body that is not a JSON object. `status` is the HTTP status.
 *
 * @example
 * catch (error) { if (error instanceof LatipayHttpError && error.status >= 500) retryLater(); }
 */
export class LatipayHttpError extends LatipaySdkError {
  readonly status: number;
  readonly body: string;

  constructor(status: number, body: string, message = `unexpected HTTP ${status} from the Latipay gateway`) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/**
 * No answer: the connection failed, or the call's time ran out (`timedOut`). For a create,
 * refund, cancel or barcode call the outcome is then unknown: query before trying again.
 *
 * @example
 * catch (error) {
 *   if (error instanceof LatipayConnectionError) await latipay.queryTransaction(reference);
 * }
 */
export class LatipayConnectionError extends LatipaySdkError {
  readonly timedOut: boolean;

  constructor(message: string, options: { cause?: unknown; timedOut: boolean }) {
    super(message, { cause: options.cause });
    this.timedOut = options.timedOut;
  }
}
