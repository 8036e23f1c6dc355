import { isLatipayError } from '../domain/errors.js';
import { findInvoiceViewOfOrganisation } from '../store/invoices.js';
import type { Actor } from './audit.js';
import type { GatewayContext } from './context.js';
import { cancelInvoiceView } from './delete-invoice.js';

/**
 * The portal's "Deactivate": cancels the organisation's payment link as DELETE /v2/invoice
 * does (its page refuses from then on; a payment in progress is cancelled and notified).
 * `not_found` for another organisation's; `paid` for a paid one, which is refunded instead.
 */
export async function deactivatePaymentLink(ctx: GatewayContext, organisationId: number, invoiceId: string, by: Actor): Promise<'deactivated' | 'not_found' | 'paid'> {
  const view = await findInvoiceViewOfOrganisation(ctx.store.db, organisationId, invoiceId);
  if (!view) return 'not_found';
  const user = await ctx.credentials.findUser(view.user_id);
  if (!user) return 'not_found';
  try {
    await cancelInvoiceView(ctx, view, user, by);
  } catch (error) {
    if (isLatipayError(error) && error.errorName === 'ALREADY_PAID') return 'paid';
    throw error;
  }
  return 'deactivated';
}
