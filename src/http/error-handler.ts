import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, isLatipayError, TooManyRequestsError } from '../domain/errors.js';
import { renderMessagePage } from '../pages/message-page.js';
import { sendPage } from './security-headers.js';

/**
 * The one place errors become answers. Business errors are `{code, message}` with HTTP
 * 200 (spec §1); malformed requests are 207 (204 for a missing field); an oversized body
 * is HTTP 413. Anything unexpected is logged with the request id and answered without
 * internals. Routes marked `config.html` get an HTML page instead of JSON.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((thrown: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const html = (request.routeOptions.config as { html?: boolean } | undefined)?.html === true;
    if (thrown instanceof TooManyRequestsError) {
      return reply.code(429).header('retry-after', String(thrown.retryAfterSeconds)).send({ code: thrown.code, message: thrown.message });
    }
    if (isLatipayError(thrown)) {
      return reply.code(200).send({ code: thrown.code, message: thrown.message });
    }
    const error = thrown as FastifyError;
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      if (html) return sendPage(reply, 413, renderMessagePage(request, 'badRequest', 413));
      return reply.code(413).send({ code: ERROR_CODES.BAD_PARAMETER, message: 'request body is larger than 64 KiB' });
    }
    if (error.validation && error.validation.length > 0) {
      const first = error.validation[0];
      const params = first.params as { missingProperty?: string; additionalProperty?: string };
      const field = params.missingProperty ?? params.additionalProperty ?? first.instancePath.replace(/^\//, '').replace(/\//g, '.');
      if (first.keyword === 'required') {
        return reply.code(200).send({ code: ERROR_CODES.MISSING_FIELD, message: `some input fields are null: ${field} is required` });
      }
      return reply.code(200).send({ code: ERROR_CODES.BAD_PARAMETER, message: `parameter is wrong: ${field || 'request'} ${first.message ?? 'is invalid'}` });
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      const detail =
        error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.name === 'SyntaxError'
          ? 'the body is not valid JSON'
          : error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
            ? 'the body is empty'
            : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
              ? 'send application/json or application/x-www-form-urlencoded'
              : error.code === 'LATIPAY_JSON_TOO_DEEP'
                ? error.message
                : 'the request is malformed';
      if (html) return sendPage(reply, status, renderMessagePage(request, 'badRequest', status));
      return reply.code(200).send({ code: ERROR_CODES.BAD_PARAMETER, message: `parameter is wrong: ${detail}` });
    }
    request.log.error({ err: error }, 'unexpected error');
    if (html) return sendPage(reply, 500, renderMessagePage(request, 'internal', 500));
    return reply.code(500).send({ code: ERROR_CODES.FAIL, message: `internal error (request ${request.id})` });
  });

  app.setNotFoundHandler((request, reply) => {
    if (wantsPage(request)) {
      return sendPage(reply, 404, renderMessagePage(request, 'notFound', 404));
    }
    return reply.code(404).send({ code: ERROR_CODES.FAIL, message: `no such endpoint: ${request.method} ${request.url.split('?')[0]}` });
  });
}

/**
 * Errors the router raises before any route runs (a path that is not valid percent-encoding,
 * an over-long parameter). They stay transport-level 4xx, but in the wire shape: fastify's
 * own answer carries a string `code`, which clients that read `code` as an integer choke on.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 414 : error.code === 'FST_ERR_BAD_URL' ? 400 : (error.statusCode ?? 500);
  const html = wantsPage(request);
  if (status >= 500) {
    request.log.error({ err: error }, 'unexpected router error');
    if (html) return void sendPage(reply, 500, renderMessagePage(request, 'internal', 500));
    return void reply.code(500).send({ code: ERROR_CODES.FAIL, message: `internal error (request ${request.id})` });
  }
  if (html) return void sendPage(reply, status, renderMessagePage(request, 'badRequest', status));
  const detail = status === 414 ? 'a path parameter is too long' : 'the URL is not valid percent-encoding';
  return void reply.code(status).send({ code: ERROR_CODES.BAD_PARAMETER, message: `parameter is wrong: ${detail}` });
}

/**
 * A browser asking for a page gets one, except under /v2/ and the older /merchanthosted/
 * (gatewaydata without /v2): the merchant API answers JSON whatever the client accepts.
 */
function wantsPage(request: FastifyRequest): boolean {
  return request.method === 'GET' && request.headers.accept?.includes('text/html') === true && !request.url.startsWith('/v2/') && !request.url.startsWith('/merchanthosted/');
}
