import type { FastifyInstance, FastifyRequest } from 'fastify';

type ParseDone = (error: Error | null, body?: unknown) => void;
type StringParser = (request: FastifyRequest, body: string, done: ParseDone) => void;

/**
 * How deep a JSON body may nest. A Latipay body is a flat object (depth 1); the limit only
 * has to be far below what the checks after parsing (and JSON.parse itself) can walk.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * The body parsers: JSON (with fastify's prototype-poisoning protection, and a nesting
 * limit), forms in the order their fields came (signatures may depend on it), and anything
 * else read as JSON when it looks like JSON, else as a form (some clients post without a
 * content type). A body that cannot be read is a 400 error, which the error handler answers
 * as 207 (an HTML page on HTML routes).
 */
export function installBodyParsers(app: FastifyInstance): void {
  const parseJson = jsonParser(app);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => parseJson(request, body as string, done));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.addContentTypeParser('*', { parseAs: 'string' }, (request, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    if (text.startsWith('{') || text.startsWith('[')) return parseJson(request, text, done);
    done(null, Object.fromEntries(new URLSearchParams(text)));
  });
}

function jsonParser(app: FastifyInstance): StringParser {
  const parse = app.getDefaultJsonParser('error', 'error') as StringParser;
  return (request, body, done) => {
    // Only a body with a bracket after its first character can nest at all: a flat
    // merchant request skips the scan.
    if ((body.indexOf('{', 1) !== -1 || body.indexOf('[', 1) !== -1) && nestsDeeperThan(body, MAX_JSON_DEPTH)) {
      const error = Object.assign(new Error(`the body nests deeper than ${MAX_JSON_DEPTH} levels`), {
        statusCode: 400,
        code: 'LATIPAY_JSON_TOO_DEEP',
      });
      return done(error, undefined);
    }
    parse(request, body, done);
  };
}

/**
 * Whether `text`, read as JSON, opens more than `limit` arrays or objects inside each other.
 * Brackets inside strings do not count. Malformed text gives some answer; JSON.parse rejects it after.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}
