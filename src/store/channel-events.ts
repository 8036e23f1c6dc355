import type { Db } from './store.js';

/**
 * Records a provider notification by its event id. Returns false when it was seen before,
 * which makes provider notifications idempotent.
 */
export async function recordChannelEvent(
  db: Db,
  event: { channel: string; event_id: string; order_id: string; outcome: string },
  now: number,
): Promise<boolean> {
  const result = await db
    .insertInto('channel_events')
    .values({ ...event, received_at: now })
    .onConflict((oc) => oc.columns(['channel', 'event_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1;
}
