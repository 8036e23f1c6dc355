import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { originOf } from '../origin.js';
import { RequestParams } from '../../domain/request-params.js';
import { queryTransaction } from '../../gateway/query-transaction.js';
import { LongPollLimit } from '../long-poll-limit.js';
import { LatipayQuery, QueryTransactionAnswer, ReferenceParams } from '../schemas.js';

export async function queryTransactionRoute(app: FastifyInstance): Promise<void> {
  const longPolls = new LongPollLimit(app.gateway.config.longPollsPerUser, app.gateway.log, app.gateway.clock);
  const holdLongPoll = (userId: string) => longPolls.hold(userId);
  app.get<{ Params: { merchant_reference: string } }>(
    '/v2/transaction/:merchant_reference',
    { schema: { params: ReferenceParams, querystring: LatipayQuery, response: { 200: QueryTransactionAnswer } } },
    async (request, reply) => {
      // A long-poll stops waiting when the client goes away (set up only for long-polls: it
      // is a measurable cost on every plain query; shutdown ends every wait by itself).
      const query = request.query as Record<string, unknown>;
      const whenStopped = query.is_block === '1' ? (stop: () => void) => stopWhenClosed(reply.raw, stop) : undefined;
      // Returned, not awaited: a held long-poll keeps no suspended frame of this handler.
      return queryTransaction(app.gateway, request.params.merchant_reference, RequestParams.from(request.query), originOf(request), {
        whenStopped,
        otherReferences: plusAsSpace(request.url),
        holdLongPoll,
      }).then(successAnswer);
    },
  );
}

function successAnswer<T extends object>(fields: T) {
  return { code: 0, message: 'SUCCESS', ...fields };
}

/** Calls `stop` when the answer's connection closes (at once if it already has). */
function stopWhenClosed(response: ServerResponse, stop: () => void): void {
  if (response.destroyed) stop();
  // `close` is emitted once; after the answer it finds the wait already over.
  else response.on('close', stop);
}

/**
 * A Ruby client escapes the reference with `CGI.escape`, which writes a space as `+`
 * (spec §6); the router leaves `+` as it is. Gives the form-decoded reading when it differs.
 */
function plusAsSpace(url: string): string[] {
  const path = url.split('?')[0].replace(/\/+$/, '');
  const segment = path.slice(path.lastIndexOf('/') + 1);
  if (!segment.includes('+')) return [];
  try {
    return [decodeURIComponent(segment.replace(/\+/g, '%20'))];
  } catch {
    return [];
  }
}
