import type { FastifyInstance } from 'fastify';
import { ChannelNotificationError } from '../../channels/channel.js';
import { receiveChannelNotification } from '../../gateway/apply-channel-outcome.js';

/**
 * `POST /channels/{channel}/notify`: where providers report payments. Answers `success`
 * once the outcome is committed (providers retry anything else).
 */
export async function channelNotifyRoute(app: FastifyInstance): Promise<void> {
  app.post<{ Params: { channel: string } }>('/channels/:channel/notify', async (request, reply) => {
    try {
      await receiveChannelNotification(app.gateway, request.params.channel, request.body);
      return reply.type('text/plain').send('success');
    } catch (error) {
      if (error instanceof ChannelNotificationError) {
        request.log.warn({ channel: request.params.channel, reason: error.message }, 'rejected provider notification');
        return reply.code(400).type('text/plain').send('fail');
      }
      throw error;
    }
  });
}
