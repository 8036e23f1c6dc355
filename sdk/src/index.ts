/**
 * latipay-sdk: a client of the Latipay 2.0 API for Node 20+, with no dependencies.
 * See the package's README.md.
 */
export { Latipay, type LatipayOptions } from './latipay.js';
export {
  createCallbackHandler,
  expressCallbackHandler,
  fastifyCallbackHandler,
  type CallbackHandlerOptions,
  type CallbackListener,
  type CallbackVerifier,
  type ExpressLikeRequest,
  type FastifyLikeReply,
  type FastifyLikeRequest,
} from './callback-handler.js';
export { LatipayConnectionError, LatipayError, LatipayHttpError, LatipaySdkError, LatipaySignatureError } from './errors.js';
export { verifyCallbackFields, verifyReturnQuery, type CallbackVerifyOptions, type FormInput } from './events.js';
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  hasWebhookHeaders,
  verifyWebhookHeaders,
  type VerifiedWebhook,
  type WebhookHeaders,
  type WebhookVerifyOptions,
} from './webhook.js';
export { hmacSha256Hex, signaturesMatch, signCreated, signParams, signResult, sortedMessage, type ResultSignatureFields, type SignableValue } from './signature.js';
export { type FetchLike } from './transport.js';
export * from './types.js';
