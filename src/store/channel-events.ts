import type { Db } from './store.js';
import { PreparedQuery } from './prepared.js';

const insertEvent = new PreparedQuery((db, slot) =>
  db
    .insertInto('channel_events')
    .values({ channel: slot(0), event_id: slot(1), order_id: slot(2), outcome: slot(3), received_at: slot(4) })
    .onConflict((oc) => oc.columns(['channel', 'event_id']).doNothing()),
);

/**
 * Records a provider notification by its event id. Returns false when it was seen before,
 * which makes provider notifications idempotent.
 */
export async function recordChannelEvent(
  db: Db,
  event: { channel: string; event_id: string; order_id: string; outcome: string },
  now: number,
): Promise<boolean> {
  return (await insertEvent.affected(db, [event.channel, event.event_id, event.order_id, event.outcome, now])) === 1;
}

/** The provider events recorded for an order, in the order they came (channel_events_order_idx). */
export async function listChannelEventsOfOrder(db: Db, orderId: string) {
  return db.selectFrom('channel_events').selectAll().where('order_id', '=', orderId).orderBy('received_at').execute();
}
