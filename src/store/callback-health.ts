import type { Db } from './store.js';

/** A callback of the organisation that has not got through yet, with its last attempt. */
export interface TroubledCallback {
  id: number;
  order_id: string;
  url: string;
  /** `pending` (retrying) or `abandoned` (given up past NOTIFY_GIVE_UP_SECONDS). */
  status: string;
  attempts: number;
  created_at: number;
  last_attempt_at: number | null;
  last_http_status: number | null;
  last_error: string | null;
  last_body_excerpt: string | null;
}

/** How the callbacks of one organisation's orders are getting through. */
export interface CallbackHealth {
  /** Delivered since `since` (whose last attempt was due since then). */
  delivered: number;
  /** Queued and not tried yet. */
  waiting: number;
  /** Tried, not acknowledged with `sent`, still retried. */
  failing: number;
  /** Given up on (kept until re-sent). */
  abandoned: number;
  /** When the oldest callback still pending was queued (epoch ms); null when none is. */
  oldest_pending_at: number | null;
  /** The failing and abandoned ones, the most recently tried first (at most `limit`). */
  troubled: TroubledCallback[];
}

/**
 * Reads the callback health of an organisation's orders. Every count starts from
 * notifications_due_idx (status, next_attempt_at): the pending and abandoned rows are few,
 * and the delivered ones are read only for the window; each is joined to its order (by
 * key) for the organisation.
 */
export async function measureCallbackHealth(db: Db, organisationId: number, since: number, limit = 5): Promise<CallbackHealth> {
  const ofOrganisation = () =>
    db.selectFrom('notifications as n').innerJoin('orders as o', 'o.order_id', 'n.order_id').where('o.organisation_id', '=', organisationId);
  const delivered = await ofOrganisation()
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('n.status', '=', 'delivered')
    .where('n.next_attempt_at', '>=', since)
    .where('n.delivered_at', '>=', since)
    .executeTakeFirst();
  const pending = await ofOrganisation()
    .select((eb) => [
      eb.fn.sum<number | string | null>(eb.case().when('n.attempts', '=', 0).then(1).else(0).end()).as('waiting'),
      eb.fn.sum<number | string | null>(eb.case().when('n.attempts', '>', 0).then(1).else(0).end()).as('failing'),
      eb.fn.min('n.created_at').as('oldest'),
    ])
    .where('n.status', '=', 'pending')
    .executeTakeFirst();
  const abandoned = await ofOrganisation()
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('n.status', '=', 'abandoned')
    .executeTakeFirst();
  const troubled = await ofOrganisation()
    .leftJoin('notification_attempts as a', (join) =>
      join.on('a.id', '=', (eb) => eb.selectFrom('notification_attempts as last').select((e) => e.fn.max('last.id').as('id')).whereRef('last.notification_id', '=', 'n.id')),
    )
    .select(['n.id', 'n.order_id', 'n.url', 'n.status', 'n.attempts', 'n.created_at', 'a.attempted_at', 'a.http_status', 'a.error', 'a.body_excerpt'])
    .where((eb) => eb.or([eb('n.status', '=', 'abandoned'), eb.and([eb('n.status', '=', 'pending'), eb('n.attempts', '>', 0)])]))
    // coalesce: the dialects put nulls at opposite ends.
    .orderBy((eb) => eb.fn.coalesce('a.attempted_at', eb.lit(0)), 'desc')
    .orderBy('n.id', 'desc')
    .limit(limit)
    .execute();
  return {
    delivered: Number(delivered?.n ?? 0),
    waiting: Number(pending?.waiting ?? 0),
    failing: Number(pending?.failing ?? 0),
    abandoned: Number(abandoned?.n ?? 0),
    oldest_pending_at: pending?.oldest == null ? null : Number(pending.oldest),
    troubled: troubled.map((r) => ({
      id: Number(r.id),
      order_id: r.order_id,
      url: r.url,
      status: r.status,
      attempts: Number(r.attempts),
      created_at: Number(r.created_at),
      last_attempt_at: r.attempted_at === null ? null : Number(r.attempted_at),
      last_http_status: r.http_status === null ? null : Number(r.http_status),
      last_error: r.error,
      last_body_excerpt: r.body_excerpt,
    })),
  };
}
