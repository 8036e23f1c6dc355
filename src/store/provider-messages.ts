import type { Db } from './store.js';

/**
 * Keeps what a provider said (a create answer, a notification, a query result), secrets
 * already masked by the adapter, for the audit trail of an attempt.
 */
export async function recordProviderMessage(
  db: Db,
  message: { attempt_id: string; refund_id?: string | null; provider: string; kind: string; body: unknown },
  now: number,
): Promise<void> {
  await db
    .insertInto('provider_messages')
    .values({
      attempt_id: message.attempt_id,
      refund_id: message.refund_id ?? null,
      provider: message.provider,
      kind: message.kind,
      body: JSON.stringify(message.body ?? null).slice(0, 16_384),
      at: now,
    })
    .execute();
}

export async function listProviderMessagesOfAttempt(db: Db, attemptId: string) {
  return db.selectFrom('provider_messages').selectAll().where('attempt_id', '=', attemptId).orderBy('id').execute();
}
