import type { Selectable, Updateable } from 'kysely';
import type { InvoiceTable } from './schema.js';
import type { Db } from './store.js';

export type InvoiceRecord = Selectable<InvoiceTable>;

/** An invoice with what its answers show of its backing order (null before a payer picked a method). */
export type InvoiceView = InvoiceRecord & {
  order_status: string | null;
  order_paid_at: number | null;
  order_payment_method: string | null;
  order_nonce: string | null;
};

export async function insertInvoice(db: Db, invoice: InvoiceRecord): Promise<void> {
  await db.insertInto('invoices').values(invoice).execute();
}

function views(db: Db) {
  return db
    .selectFrom('invoices')
    .leftJoin('orders', 'orders.order_id', 'invoices.order_id')
    .selectAll('invoices')
    .select(['orders.status as order_status', 'orders.paid_at as order_paid_at', 'orders.payment_method as order_payment_method', 'orders.nonce as order_nonce']);
}

/** A user's invoice by its id or by the merchant's customer_order_id. */
export async function findInvoiceView(db: Db, userId: string, by: { invoiceId: string } | { customerOrderId: string }): Promise<InvoiceView | undefined> {
  const query = views(db).where('invoices.user_id', '=', userId);
  return ('invoiceId' in by ? query.where('invoices.invoice_id', '=', by.invoiceId) : query.where('invoices.customer_order_id', '=', by.customerOrderId)).executeTakeFirst();
}

export async function findInvoiceViewByToken(db: Db, token: string): Promise<InvoiceView | undefined> {
  return views(db).where('invoices.token', '=', token).executeTakeFirst();
}

export async function findInvoiceByCustomerOrderId(db: Db, userId: string, customerOrderId: string): Promise<InvoiceRecord | undefined> {
  return db.selectFrom('invoices').selectAll().where('user_id', '=', userId).where('customer_order_id', '=', customerOrderId).executeTakeFirst();
}

/**
 * Counts one open of the page, when it may still be opened: pending, not expired, under
 * its max_open_count. One statement, so concurrent opens never count past the limit.
 * Answers false when nothing was counted.
 */
export async function countInvoiceOpen(db: Db, invoiceId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('invoices')
    .set((eb) => ({ open_count: eb('open_count', '+', 1) }))
    .where('invoice_id', '=', invoiceId)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .where((eb) => eb.or([eb('max_open_count', 'is', null), eb('open_count', '<', eb.ref('max_open_count'))]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Records the invoice's backing order, unless it has one already or is no longer pending (of two pages picking at once, one wins). */
export async function attachBackingOrder(db: Db, invoiceId: string, orderId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('invoices')
    .set({ order_id: orderId, updated_at: now })
    .where('invoice_id', '=', invoiceId)
    .where('order_id', 'is', null)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * Changes a still-pending invoice whose backing order is still `orderId` (null: none yet),
 * so an edit and a payer's first pick never pass each other. Answers false, changing
 * nothing, when the invoice was deleted or got its backing order meanwhile.
 */
export async function updatePendingInvoice(
  db: Db,
  invoiceId: string,
  orderId: string | null,
  changes: Omit<Updateable<InvoiceTable>, 'invoice_id' | 'user_id' | 'token' | 'status' | 'order_id' | 'open_count' | 'created_at'>,
): Promise<boolean> {
  const result = await db
    .updateTable('invoices')
    .set(changes)
    .where('invoice_id', '=', invoiceId)
    .where('status', '=', 'pending')
    .where('order_id', orderId === null ? 'is' : '=', orderId)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Marks the invoice deleted; answers false when it already was. */
export async function cancelInvoice(db: Db, invoiceId: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('invoices')
    .set({ status: 'canceled', updated_at: now })
    .where('invoice_id', '=', invoiceId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export interface InvoiceFilter {
  readonly userId: string;
  readonly walletId?: string;
  /** Created at or after (epoch ms). */
  readonly from: number;
  /** Created before (epoch ms). */
  readonly to: number;
  readonly offset: number;
  readonly limit: number;
}

/** A page of a user's invoices created in [from, to), newest first, and how many match in all. */
export async function listInvoiceViews(db: Db, filter: InvoiceFilter): Promise<{ rows: InvoiceView[]; total: number }> {
  return pageOfViews(db, filter, (query) => {
    const q = query.where('invoices.user_id', '=', filter.userId).where('invoices.created_at', '>=', filter.from).where('invoices.created_at', '<', filter.to);
    return filter.walletId === undefined ? q : q.where('invoices.wallet_id', '=', filter.walletId);
  });
}

/** An organisation's invoice by its id (the portal: another organisation's is not found). */
export async function findInvoiceViewOfOrganisation(db: Db, organisationId: number, invoiceId: string): Promise<InvoiceView | undefined> {
  return views(db).where('invoices.organisation_id', '=', organisationId).where('invoices.invoice_id', '=', invoiceId).executeTakeFirst();
}

/** A page of an organisation's invoices, newest first, and how many it has in all (or of one wallet). */
export async function listInvoiceViewsOfOrganisation(
  db: Db,
  filter: { readonly organisationId: number; readonly walletId?: string; readonly offset: number; readonly limit: number },
): Promise<{ rows: InvoiceView[]; total: number }> {
  return pageOfViews(db, filter, (query) => {
    const q = query.where('invoices.organisation_id', '=', filter.organisationId);
    return filter.walletId === undefined ? q : q.where('invoices.wallet_id', '=', filter.walletId);
  });
}

/** The invoices `where` keeps, newest first, a page of them and how many there are in all. */
async function pageOfViews(
  db: Db,
  page: { readonly offset: number; readonly limit: number },
  where: <Q extends { where: (...args: any[]) => Q }>(query: Q) => Q,
): Promise<{ rows: InvoiceView[]; total: number }> {
  const rows = await where(views(db))
    .orderBy('invoices.created_at', 'desc')
    .orderBy('invoices.invoice_id', 'desc')
    .limit(page.limit)
    .offset(page.offset)
    .execute();
  const count = await where(db.selectFrom('invoices').select((eb) => eb.fn.countAll<number | string>().as('n'))).executeTakeFirstOrThrow();
  return { rows, total: Number(count.n) };
}
