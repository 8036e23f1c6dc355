import type { FastifyInstance, FastifyReply } from 'fastify';
import { SANDBOX_ACCOUNT } from '../../channels/provider-registry.js';
import { NotificationRejectedError, type NotificationAck } from '../../channels/provider.js';
import { takeProviderEvents } from '../../gateway/settle-payment.js';

type NotifyRoute = { Params: { provider: string; account?: string }; Body: Buffer };

/**
 * `POST /channels/{provider}/notify/{account}`: where providers report payments and
 * refunds, each account at its own URL (every account verifies and decrypts with its own
 * keys). The adapter reads the exact bytes and headers; the answer is exactly what the
 * provider expects: its success answer once the events are committed, its failure answer
 * (so it retries) when they could not be, and its rejection when the notification is not
 * authentic, which changes nothing. `/channels/sandbox/notify` is the sandbox's.
 */
export async function channelNotifyRoute(app: FastifyInstance): Promise<void> {
  const ctx = app.gateway;
  await app.register(async (scope) => {
    // The adapter verifies signatures over the raw bytes: nothing parses them first.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    const handler = async (request: { params: NotifyRoute['Params']; headers: Record<string, string | string[] | undefined>; body: unknown; log: FastifyInstance['log'] }, reply: FastifyReply) => {
      const accountId = request.params.account ?? (request.params.provider === 'sandbox' ? SANDBOX_ACCOUNT : undefined);
      const provider = accountId === undefined ? undefined : await ctx.providers.byAccount(accountId);
      if (!provider || provider.name !== request.params.provider) {
        return reply.code(404).send({ code: 1, message: `no ${request.params.provider} account ${accountId ?? ''} on this gateway` });
      }
      const headers: Record<string, string | undefined> = {};
      for (const [name, value] of Object.entries(request.headers)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
      const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      let received;
      try {
        received = await provider.receiveNotification({ headers, rawBody });
      } catch (error) {
        if (!(error instanceof NotificationRejectedError)) throw error;
        request.log.warn({ provider: provider.name, account: accountId, reason: error.message }, 'rejected provider notification');
        return answer(reply, error.ack);
      }
      try {
        await takeProviderEvents(ctx, provider.name, received.events);
      } catch (error) {
        request.log.error({ err: error, provider: provider.name }, 'could not take a provider notification in; the provider will send it again');
        return answer(reply, received.failAck);
      }
      return answer(reply, received.ack);
    };
    scope.post<NotifyRoute>('/channels/:provider/notify', handler);
    scope.post<NotifyRoute>('/channels/:provider/notify/:account', handler);
  });
}

function answer(reply: FastifyReply, ack: NotificationAck): FastifyReply {
  return reply.code(ack.status).type(ack.contentType).send(ack.body);
}
