import { sql, type Selectable } from 'kysely';
import { endpointOf } from '../domain/callback-endpoint.js';
import type { NotificationAttemptTable, NotificationTable } from './schema.js';
import type { Db } from './store.js';
import { dialectOf, idAmong, lockSkippingLocked } from './dialect/locking.js';
import { PreparedQuery } from './prepared.js';
import { batcherPerDatabase } from './turn-batcher.js';

export type NotificationRecord = Selectable<NotificationTable>;

// Each status is written into the SQL as a literal, not bound: the partial indexes of
// migration 013 (`where status = 'pending'`…) serve only queries whose WHERE says so in
// their text (SQLite does not look into bound values).
const PENDING = sql.lit('pending');
const DELIVERED = sql.lit('delivered');
const ABANDONED = sql.lit('abandoned');

/** Queues a callback, due now; `user_id` is the user whose api key signs it at each attempt. */
export async function enqueueNotification(
  db: Db,
  row: { order_id: string; user_id: string; url: string; body: string },
  now: number,
): Promise<void> {
  await insertNotification.execute(db, [row.order_id, row.url, row.body, now, row.user_id, endpointOf(row.url)]);
}

const insertNotification = new PreparedQuery((db, slot) =>
  db.insertInto('notifications').values({
    order_id: slot(0),
    user_id: slot(4),
    url: slot(1),
    endpoint: slot(5),
    body: slot(2),
    status: 'pending',
    attempts: 0,
    next_attempt_at: slot(3),
    created_at: slot(3),
  }),
);

// Compiled once per dialect (PreparedQuery keeps one per database adapter).
const claimStatement = new PreparedQuery((db, slot) => {
  const now = slot(0);
  const due = lockSkippingLocked(
    db,
    db
      .selectFrom('notifications')
      .select('id')
      .where('status', '=', PENDING)
      .where('next_attempt_at', '<=', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('next_attempt_at')
      .limit(slot(3)),
  );
  return db.updateTable('notifications').set({ lease_owner: slot(1), lease_until: slot(2) }).where(idAmong(db, due)).returningAll();
});

/**
 * Claims up to `limit` due deliveries for `owner` until `leaseUntil`. A delivery whose
 * lease has expired (its instance died) is due again. On PostgreSQL the candidates are
 * locked with FOR UPDATE SKIP LOCKED, so concurrent claimers never take the same row.
 * The candidates come from notifications_claim_idx (pending callbacks only); the claim
 * writes only the lease columns, which no index holds, so on PostgreSQL it can be a
 * heap-only update that leaves no dead entry for the next claim to walk.
 */
export async function claimDueNotifications(db: Db, owner: string, now: number, leaseUntil: number, limit: number): Promise<NotificationRecord[]> {
  return claimStatement.rows(db, [now, owner, leaseUntil, limit]);
}

// Compiled once per dialect, like the claim.
const pullStatement = new PreparedQuery((db, slot) => {
  const now = slot(1);
  const waiting = lockSkippingLocked(
    db,
    db
      .selectFrom('notifications')
      .select('id')
      .where('status', '=', PENDING)
      .where('endpoint', '=', slot(0))
      .where('next_attempt_at', '>', now)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', now)]))
      .orderBy('next_attempt_at')
      .limit(slot(2)),
  );
  return db.updateTable('notifications').set({ next_attempt_at: now }).where(idAmong(db, waiting));
});

/**
 * Makes up to `limit` of `endpoint`'s waiting retries due `now` (the soonest due first), and
 * answers how many: the endpoint has just taken a callback, so the callbacks it failed need
 * not wait out their backoff. Only the due time changes (the attempts, and so the schedule
 * after another failure, and the give-up horizon stay); a callback under a live lease is
 * not touched, and on PostgreSQL rows another transaction holds are skipped, not waited for.
 */
export async function pullRetriesForward(db: Db, endpoint: string, now: number, limit: number): Promise<number> {
  return pullStatement.affected(db, [endpoint, now, limit]);
}

export type AttemptRecord = Omit<Selectable<NotificationAttemptTable>, 'id'>;
export type AttemptOutcome = { delivered: true } | { delivered: false; nextAttemptAt: number; abandon: boolean };

/**
 * Records one attempt and its consequence, in one transaction: delivered, rescheduled
 * for `nextAttemptAt`, or abandoned past the give-up horizon. Only the lease holder may
 * write, so a delivery taken over by another instance is not overwritten: answers false
 * when the lease was lost. The attempts finished in one turn of the event loop are
 * recorded together, in one transaction (see TurnBatcher); on PostgreSQL in one statement.
 */
export async function recordAttempt(db: Db, attempt: AttemptRecord, outcome: AttemptOutcome): Promise<boolean> {
  return attemptBatcher(db).add({ attempt, outcome });
}

const attemptBatcher = batcherPerDatabase(async (db, items: Array<{ attempt: AttemptRecord; outcome: AttemptOutcome }>) => {
  if (dialectOf(db) === 'postgres') return recordAttemptsInOneStatement(db, items);
  return db.transaction().execute(async (trx) => {
    const recorded: boolean[] = [];
    for (const { attempt, outcome } of items) {
      const changed = outcome.delivered
        ? await markDelivered.affected(trx, [deliveredAt(attempt), attempt.notification_id, attempt.owner])
        : await reschedule.affected(trx, [outcome.abandon ? 'abandoned' : 'pending', outcome.nextAttemptAt, attempt.notification_id, attempt.owner]);
      recorded.push(changed === 1);
      await insertAttempt.execute(trx, ATTEMPT_COLUMNS.map((column) => attempt[column]));
    }
    return recorded;
  });
});

const deliveredAt = (a: AttemptRecord) => a.attempted_at + a.duration_ms;

/** PostgreSQL: the turn's attempts and their consequences in one statement (its own transaction). */
async function recordAttemptsInOneStatement(db: Db, items: Array<{ attempt: AttemptRecord; outcome: AttemptOutcome }>): Promise<boolean[]> {
  const changes = [
    items.map(({ attempt }) => attempt.notification_id),
    items.map(({ attempt }) => attempt.owner),
    items.map(({ outcome }) => (outcome.delivered ? 'delivered' : outcome.abandon ? 'abandoned' : 'pending')),
    items.map(({ attempt, outcome }) => (outcome.delivered ? deliveredAt(attempt) : null)),
    items.map(({ outcome }) => (outcome.delivered ? null : outcome.nextAttemptAt)),
  ];
  const attempts = ATTEMPT_COLUMNS.map((column) => items.map(({ attempt }) => attempt[column]));
  const changed = new Set((await recordAttemptsStatement.rows(db, [...changes, ...attempts])).map((r) => `${r.id}\u0000${r.owner}`));
  return items.map(({ attempt }) => changed.has(`${attempt.notification_id}\u0000${attempt.owner}`));
}

const ATTEMPT_COLUMNS = ['notification_id', 'attempted_at', 'http_status', 'body_excerpt', 'duration_ms', 'error', 'owner'] as const satisfies ReadonlyArray<
  keyof AttemptRecord
>;

// Only the lease holder's row changes (the owner check); every attempt is recorded.
// The rows are found by primary key (`id = any(…)`) and the WHERE does not name the status:
// with `status = 'pending'` in it, a generic plan made on stale statistics (a table analyzed
// while nearly empty, autovacuum not yet round) walked a whole index (the primary key, or a
// partial index of pending callbacks), dead entries and all, at every recorded attempt. A leased row is always pending: every
// write that moves a callback out of pending clears its lease in the same statement.
const recordAttemptsStatement = new PreparedQuery<{ id: number | string; owner: string }>((db, slot) => {
  const query = sql<{ id: number | string; owner: string }>`
    with change as (
      select * from unnest(${slot(0)}::bigint[], ${slot(1)}::text[], ${slot(2)}::text[], ${slot(3)}::bigint[], ${slot(4)}::bigint[])
        as t(id, owner, status, delivered_at, next_attempt_at)
    ),
    changed as (
      update notifications set
        status = change.status,
        attempts = notifications.attempts + 1,
        delivered_at = coalesce(change.delivered_at, notifications.delivered_at),
        next_attempt_at = coalesce(change.next_attempt_at, notifications.next_attempt_at),
        lease_owner = null,
        lease_until = null
      from change
      where notifications.id = any(${slot(0)}::bigint[]) and notifications.id = change.id and notifications.lease_owner = change.owner
      returning notifications.id, change.owner
    ),
    recorded as (
      insert into notification_attempts (${sql.join(ATTEMPT_COLUMNS.map((c) => sql.ref(c)))})
      select * from unnest(${slot(5)}::bigint[], ${slot(6)}::bigint[], ${slot(7)}::integer[], ${slot(8)}::text[], ${slot(9)}::integer[], ${slot(10)}::text[], ${slot(11)}::text[])
    )
    select id, owner from changed`;
  return { compile: () => query.compile(db) };
});

const markDelivered = new PreparedQuery((db, slot) =>
  db
    .updateTable('notifications')
    .set((eb) => ({ status: 'delivered', attempts: eb('attempts', '+', 1), delivered_at: slot(0), lease_owner: null, lease_until: null }))
    .where('id', '=', slot(1))
    .where('lease_owner', '=', slot(2))
    .where('status', '=', 'pending'),
);
const reschedule = new PreparedQuery((db, slot) =>
  db
    .updateTable('notifications')
    .set((eb) => ({ status: slot(0), attempts: eb('attempts', '+', 1), next_attempt_at: slot(1), lease_owner: null, lease_until: null }))
    .where('id', '=', slot(2))
    .where('lease_owner', '=', slot(3))
    .where('status', '=', 'pending'),
);
const insertAttempt = new PreparedQuery((db, slot) =>
  db.insertInto('notification_attempts').values(Object.fromEntries(ATTEMPT_COLUMNS.map((column, i) => [column, slot(i)])) as unknown as AttemptRecord),
);

/** Gives back every lease `owner` holds (graceful shutdown), so others can take them at once. */
export async function releaseLeases(db: Db, owner: string): Promise<number> {
  const result = await db
    .updateTable('notifications')
    .set({ lease_owner: null, lease_until: null })
    .where('lease_owner', '=', owner)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** When the next pending delivery is due (epoch ms), or undefined when none is pending. */
export async function findNextDueAt(db: Db): Promise<number | undefined> {
  const row = await db
    .selectFrom('notifications')
    .select((eb) => eb.fn.min('next_attempt_at').as('next'))
    .where('status', '=', PENDING)
    .executeTakeFirst();
  return row?.next == null ? undefined : Number(row.next);
}

export async function listNotificationsForOrder(db: Db, orderId: string): Promise<NotificationRecord[]> {
  return db.selectFrom('notifications').selectAll().where('order_id', '=', orderId).orderBy('id').execute();
}

/** A callback the worker gave up on (past NOTIFY_GIVE_UP_SECONDS), with its last attempt. */
export interface AbandonedNotification {
  id: number;
  order_id: string;
  url: string;
  attempts: number;
  /** Epoch ms of the last attempt; null if none is on record. */
  last_attempt_at: number | null;
  last_http_status: number | null;
  last_body_excerpt: string | null;
  last_error: string | null;
}

/** The abandoned callbacks, oldest first (at most `limit`), each with its last attempt. */
export async function listAbandonedNotifications(db: Db, limit = 1_000): Promise<AbandonedNotification[]> {
  const rows = await db
    .selectFrom('notifications as n')
    .leftJoin('notification_attempts as a', (join) =>
      join.on('a.id', '=', (eb) => eb.selectFrom('notification_attempts as last').select((e) => e.fn.max('last.id').as('id')).whereRef('last.notification_id', '=', 'n.id')),
    )
    .select(['n.id', 'n.order_id', 'n.url', 'n.attempts', 'a.attempted_at', 'a.http_status', 'a.body_excerpt', 'a.error'])
    .where('n.status', '=', ABANDONED)
    .orderBy('n.id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    order_id: r.order_id,
    url: r.url,
    attempts: Number(r.attempts),
    last_attempt_at: r.attempted_at === null ? null : Number(r.attempted_at),
    last_http_status: r.http_status === null ? null : Number(r.http_status),
    last_body_excerpt: r.body_excerpt,
    last_error: r.error,
  }));
}

export async function listAttempts(db: Db, notificationId: number) {
  return db
    .selectFrom('notification_attempts')
    .selectAll()
    .where('notification_id', '=', notificationId)
    .orderBy('id')
    .execute();
}

/**
 * Deletes up to `limit` notifications delivered before `before` (epoch ms), with their
 * attempts, in one transaction; answers how many it deleted. Abandoned and pending ones are
 * kept. The candidates come from notifications_delivered_idx (delivered callbacks by
 * delivery time). On PostgreSQL rows another transaction holds (a re-send) are skipped,
 * not waited for.
 */
export async function pruneDeliveredNotifications(db: Db, before: number, limit: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const doomed = await lockSkippingLocked(
      trx,
      trx
        .selectFrom('notifications')
        .select('id')
        .where('status', '=', DELIVERED)
        .where('delivered_at', '<', before)
        .orderBy('delivered_at')
        .limit(limit),
    ).execute();
    if (doomed.length === 0) return 0;
    const ids = doomed.map((row) => Number(row.id));
    await trx.deleteFrom('notification_attempts').where('notification_id', 'in', ids).execute();
    const deleted = await trx.deleteFrom('notifications').where('id', 'in', ids).executeTakeFirst();
    return Number(deleted.numDeletedRows);
  });
}

/**
 * Makes a delivery due now again (an operator's "re-send"); re-opens it when it was delivered
 * or abandoned. A callback delivered before migration 013 gets its endpoint here.
 */
export async function resendNotification(db: Db, notificationId: number, now: number): Promise<boolean> {
  const row = await db.selectFrom('notifications').select('url').where('id', '=', notificationId).executeTakeFirst();
  if (!row) return false;
  const result = await db
    .updateTable('notifications')
    .set({ status: 'pending', next_attempt_at: now, lease_owner: null, lease_until: null, delivered_at: null, endpoint: endpointOf(row.url) })
    .where('id', '=', notificationId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The callback queue at a glance, for the metrics. */
export interface CallbackQueue {
  /** Callbacks not delivered yet (due now or waiting for their next attempt). */
  pending: number;
  /** …of which due by `now`. */
  due: number;
  /** When the oldest pending callback was queued (epoch ms); undefined when none is pending. */
  oldestPendingCreatedAt: number | undefined;
  /** Callbacks given up past NOTIFY_GIVE_UP_SECONDS (kept until re-sent). */
  abandoned: number;
}

/**
 * Reads the pending callbacks (notifications_claim_idx, as long as the queue) and counts the
 * abandoned ones (notifications_abandoned_idx); delivered callbacks, the bulk of the table,
 * are not visited.
 */
export async function measureCallbackQueue(db: Db, now: number): Promise<CallbackQueue> {
  const pending = await db
    .selectFrom('notifications')
    .select((eb) => [
      eb.fn.countAll<number | string>().as('pending'),
      eb.fn.sum<number | string | null>(eb.case().when('next_attempt_at', '<=', now).then(1).else(0).end()).as('due'),
      eb.fn.min('created_at').as('oldest'),
    ])
    .where('status', '=', PENDING)
    .executeTakeFirst();
  const abandoned = await db
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('status', '=', ABANDONED)
    .executeTakeFirst();
  return {
    pending: Number(pending?.pending ?? 0),
    due: Number(pending?.due ?? 0),
    oldestPendingCreatedAt: pending?.oldest == null ? undefined : Number(pending.oldest),
    abandoned: Number(abandoned?.n ?? 0),
  };
}
