import { NotificationRejectedError, type NotificationAck, type ProviderEvent, type RawNotification, type ReceivedNotification } from '../provider.js';
import type { AntomCredentials } from './antom-account.js';
import { paidReport, refundReportOf, unpaidReport } from './antom-reports.js';
import { parseSignatureHeader, signingContent, verifyContent } from './antom-signature.js';

/**
 * notifyPayment and notifyRefund (docs/providers/antom-protocol.md §3, §5): verified over the
 * raw bytes, with the notify URL's path and the `Request-Time` as Antom sent them, before
 * anything in them is read.
 */

/** The answer Antom requires, exactly: HTTP 200 and this body; anything else and Antom sends it again. */
export const ACK: NotificationAck = {
  status: 200,
  contentType: 'application/json; charset=UTF-8',
  body: '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}',
};

/** The gateway could not take the events in: Antom retries (up to 8 times within 24 h). */
export const FAIL_ACK: NotificationAck = {
  status: 500,
  contentType: 'application/json; charset=UTF-8',
  body: '{"result":{"resultCode":"SYSTEM_ERROR","resultStatus":"F","resultMessage":"not processed, send it again"}}',
};

/** Not authentic: nothing changed; answered so that a genuine notification would be sent again. */
export const REJECT_ACK: NotificationAck = {
  status: 401,
  contentType: 'application/json; charset=UTF-8',
  body: '{"result":{"resultCode":"INVALID_SIGNATURE","resultStatus":"F","resultMessage":"the notification is not authentic"}}',
};

export interface NotificationCheck {
  readonly credentials: AntomCredentials;
  /** The path and query Antom posts to (the account's notify URL): part of what Antom signs. */
  readonly notifyPath: string;
  /** How far Request-Time may be from our clock (ms). */
  readonly toleranceMs: number;
  readonly now: number;
}

function reject(reason: string): never {
  throw new NotificationRejectedError(`Antom notification rejected: ${reason}`, REJECT_ACK);
}

/** A request time as Antom writes it (ISO 8601 with an offset; milliseconds also accepted) as epoch ms. */
function parseRequestTime(value: string): number | undefined {
  if (/^\d{13}$/.test(value)) return Number(value);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Verifies a notification: our Client-Id, RSA256 with the account's key version, a Request-Time
 * within the tolerance, and the signature over `POST <notify path>\n<Client-Id>.<Request-Time>.<raw body>`
 * with Antom's public key. Throws NotificationRejectedError otherwise. Answers the parsed body.
 */
export function verifyNotification(input: RawNotification, check: NotificationCheck): Record<string, unknown> {
  const { credentials } = check;
  const clientId = input.headers['client-id'];
  if (clientId !== credentials.clientId) reject(`Client-Id ${JSON.stringify(clientId ?? null)} is not this account's`);
  const parsed = parseSignatureHeader(input.headers.signature);
  if (!parsed) reject('no Signature header of the form algorithm=RSA256,keyVersion=N,signature=…');
  if (parsed.algorithm !== 'RSA256') reject(`algorithm ${parsed.algorithm} is not RSA256`);
  if (parsed.keyVersion !== undefined && parsed.keyVersion !== credentials.keyVersion) reject(`keyVersion ${parsed.keyVersion} is not the account's key version ${credentials.keyVersion}`);
  const requestTime = input.headers['request-time'];
  const sentAt = requestTime === undefined ? undefined : parseRequestTime(requestTime);
  if (requestTime === undefined || sentAt === undefined) reject('no Request-Time header in ISO 8601');
  if (!verifyContent(signingContent('POST', check.notifyPath, clientId, requestTime, input.rawBody), parsed.signature, credentials.antomPublicKey)) {
    reject('the signature does not verify with the Antom public key');
  }
  // Checked after the signature, so that a stale but genuine notification is told apart from a forged one in the log.
  const skew = Math.abs(check.now - sentAt);
  if (skew > check.toleranceMs) reject(`Request-Time ${requestTime} is ${Math.round(skew / 1000)} s from this server's clock (at most ${check.toleranceMs / 1000} s)`);
  let body: unknown;
  try {
    body = JSON.parse(input.rawBody.toString('utf8'));
  } catch {
    reject('the body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) reject('the body is not a JSON object');
  return body as Record<string, unknown>;
}

/**
 * The events of a verified notification. PAYMENT_RESULT: `S` paid, `F` failed (a payment that
 * failed or expired); REFUND_RESULT: by `refundStatus`. PAYMENT_PENDING ("the user has paid,
 * wait for the final result") and types the gateway does not use carry no event; they are
 * acknowledged all the same so that Antom stops sending them.
 */
export function eventsOf(body: Record<string, unknown>, now: number): ProviderEvent[] {
  const result = typeof body.result === 'object' && body.result !== null ? (body.result as Record<string, unknown>) : {};
  if (body.notifyType === 'PAYMENT_RESULT') {
    const attemptId = body.paymentRequestId;
    if (typeof attemptId !== 'string' || attemptId === '') reject('a PAYMENT_RESULT without paymentRequestId');
    const status = result.resultStatus;
    if (status !== 'S' && status !== 'F') return [];
    const report = status === 'S' ? paidReport(attemptId, body, now) : unpaidReport(attemptId, 'failed', body, now);
    const paymentId = typeof body.paymentId === 'string' ? body.paymentId : attemptId;
    return [{ kind: 'payment', eventId: `antom:payment:${paymentId}:${status}`, report }];
  }
  if (body.notifyType === 'REFUND_RESULT') {
    const refundId = body.refundRequestId;
    if (typeof refundId !== 'string' || refundId === '') reject('a REFUND_RESULT without refundRequestId');
    const report = refundReportOf(refundId, body);
    if (!report || report.state === 'processing') return [];
    return [{ kind: 'refund', eventId: `antom:refund:${refundId}:${report.state}`, report }];
  }
  return [];
}

export function receivedNotification(events: ProviderEvent[]): ReceivedNotification {
  return { events, ack: ACK, failAck: FAIL_ACK };
}
