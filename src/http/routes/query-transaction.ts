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
      // A long-poll stops waiting when the client goes away or the process shuts down
      // (set up only for long-polls: it is a measurable cost on every plain query).
      const query = request.query as Record<string, unknown>;
      let signal: AbortSignal | undefined;
      if (query.is_block === '1') {
        const gone = new AbortController();
        reply.raw.once('close', () => gone.abort());
        signal = AbortSignal.any([gone.signal, app.gateway.shutdown]);
      }
      const fields = await queryTransaction(app.gateway, request.params.merchant_reference, RequestParams.from(request.query), originOf(request), {
        signal,
        otherReferences: plusAsSpace(request.url),
        holdLongPoll,
      });
      return { code: 0, message: 'SUCCESS', ...fields };
    },
  );
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
