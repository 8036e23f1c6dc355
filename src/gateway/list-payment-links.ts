import { findInvoiceViewOfOrganisation, listInvoiceViewsOfOrganisation } from '../store/invoices.js';
import type { GatewayContext } from './context.js';
import { invoiceDescriber, type InvoiceFields } from './invoice-answer.js';

/** A payment link as the portal shows it: the invoice's fields (as GET /v2/invoice answers them) and its backing order's own status. */
export type PaymentLink = InvoiceFields & {
  /** The backing order's status (`pending`, `paid`, …); null before a payer picked a method. */
  order_status: string | null;
  /** The invoice's money, in minor units, for the page to format. */
  amount_minor: number;
};

export const PAYMENT_LINKS_PAGE_SIZE = 20;

/** A page (from 1) of the organisation's payment links, newest first, and how many there are. */
export async function listPaymentLinks(ctx: GatewayContext, organisationId: number, page: number): Promise<{ links: PaymentLink[]; total: number }> {
  const { rows, total } = await listInvoiceViewsOfOrganisation(ctx.store.db, {
    organisationId,
    offset: (page - 1) * PAYMENT_LINKS_PAGE_SIZE,
    limit: PAYMENT_LINKS_PAGE_SIZE,
  });
  const describe = invoiceDescriber(ctx);
  const now = ctx.clock();
  const links: PaymentLink[] = [];
  for (const row of rows) links.push({ ...(await describe(row, now)), order_status: row.order_status, amount_minor: Number(row.amount_minor) });
  return { links, total };
}

/** The organisation's payment link, or undefined (another organisation's is not found). */
export async function findPaymentLink(ctx: GatewayContext, organisationId: number, invoiceId: string): Promise<PaymentLink | undefined> {
  const row = await findInvoiceViewOfOrganisation(ctx.store.db, organisationId, invoiceId);
  if (!row) return undefined;
  return { ...(await invoiceDescriber(ctx)(row, ctx.clock())), order_status: row.order_status, amount_minor: Number(row.amount_minor) };
}
