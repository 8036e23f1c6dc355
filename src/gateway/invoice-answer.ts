import QRCode from 'qrcode';
import { invoiceStatus } from '../domain/invoice.js';
import { formatAmount } from '../domain/money.js';
import type { PaymentMethod } from '../domain/payment-methods.js';
import { signObject, type ParamValue } from '../domain/signature.js';
import { formatWireTime } from '../domain/time.js';
import type { InvoiceRecord, InvoiceView } from '../store/invoices.js';
import { findOrganisationName } from '../store/merchants.js';
import type { GatewayContext } from './context.js';
import { findWalletCached } from './wallets.js';

/** Where the payer opens the invoice: PUBLIC_URL/invoice/{token}. */
export function invoiceUrlOf(ctx: Pick<GatewayContext, 'config'>, token: string): string {
  return `${ctx.config.publicUrl}/invoice/${token}`;
}

/** `qrcode_pic` [ours: Latipay says "Base64"]: a PNG data URL of a QR encoding invoice_url, like gatewaydata's qr_code. */
export function qrcodePicOf(invoiceUrl: string): Promise<string> {
  return QRCode.toDataURL(invoiceUrl, { errorCorrectionLevel: 'M', margin: 2, scale: 6 });
}

/**
 * An answer's fields signed [ours, spec §2.3]: the sorted signature (§2.1) over every field
 * but `code`, `message` and `signature`, an array written as its items joined by commas
 * (what JavaScript's String() makes of it), null and empty values left out.
 */
export function signInvoiceAnswer<T extends Record<string, ParamValue | readonly string[]>>(fields: T, apiKey: string): T & { signature: string } {
  const signable: Record<string, ParamValue> = {};
  for (const [key, value] of Object.entries(fields)) signable[key] = Array.isArray(value) ? value.join(',') : (value as ParamValue);
  return { ...fields, signature: signObject(signable, apiKey) };
}

/** The answer of a create or an update: Latipay's four fields, signed. */
export async function invoiceLinkAnswer(ctx: GatewayContext, invoice: Pick<InvoiceRecord, 'invoice_id' | 'token' | 'qrcode'>, apiKey: string) {
  const invoiceUrl = invoiceUrlOf(ctx, invoice.token);
  return signInvoiceAnswer(
    {
      invoice_id: invoice.invoice_id,
      // Only when the invoice asks for it (qrcode: true); '' otherwise.
      qrcode_pic: Number(invoice.qrcode) === 1 ? await qrcodePicOf(invoiceUrl) : '',
      invoice_url: invoiceUrl,
    },
    apiKey,
  );
}

/** An invoice as `GET /v2/invoice` and `GET /v2/invoices` show it (Latipay's list fields, then ours), unsigned. */
export interface InvoiceFields {
  user_id: string;
  wallet_id: string;
  wallet_name: string;
  amount: string;
  currency: string;
  organisation_id: number;
  organisation: string;
  product_name: string;
  period_time: number;
  open_count: number;
  customer_order_id: string;
  customer_reference: string;
  created_time: string;
  paid_time: string;
  invoice_id: string;
  invoice_url: string;
  return_url: string;
  notify_url: string;
  token: string;
  status: string;
  paid_method: string;
  payment_methods: string[];
  payer: string;
  /** [ours] The rest. */
  max_open_count: number | null;
  qrcode: boolean;
  app: number | null;
  expire_time: string;
  order_id: string;
}

/**
 * Reads what invoice answers show beyond the invoice itself (wallet and organisation names,
 * the methods a payer may pick), once per wallet and organisation however many invoices
 * are described.
 */
export function invoiceDescriber(ctx: GatewayContext) {
  const wallets = new Map<string, Promise<{ name: string; methods: PaymentMethod[] }>>();
  const organisations = new Map<number, Promise<string>>();
  const walletOf = (walletId: string) => {
    let found = wallets.get(walletId);
    if (!found) {
      found = (async () => {
        const wallet = await findWalletCached(ctx, walletId);
        if (!wallet) return { name: '', methods: [] };
        return { name: wallet.name, methods: await ctx.providers.servableMethods(wallet, wallet.methods.split(',').map((m) => m.trim())) };
      })();
      wallets.set(walletId, found);
    }
    return found;
  };
  const organisationOf = (id: number) => {
    let found = organisations.get(id);
    if (!found) organisations.set(id, (found = findOrganisationName(ctx.store.db, id).then((name) => name ?? '')));
    return found;
  };
  const offset = ctx.config.timeZoneOffsetMinutes;
  return async (view: InvoiceView, now: number): Promise<InvoiceFields> => {
    const [wallet, organisation] = await Promise.all([walletOf(view.wallet_id), organisationOf(Number(view.organisation_id))]);
    const status = invoiceStatus(
      { status: view.status, expiresAt: Number(view.expires_at), openCount: Number(view.open_count), maxOpenCount: view.max_open_count === null ? null : Number(view.max_open_count) },
      view.order_status ?? undefined,
      now,
    );
    const paid = status === 'paid';
    return {
      user_id: view.user_id,
      wallet_id: view.wallet_id,
      wallet_name: wallet.name,
      amount: formatAmount(Number(view.amount_minor)),
      currency: view.currency,
      organisation_id: Number(view.organisation_id),
      organisation,
      product_name: view.product_name,
      period_time: Number(view.period_time),
      open_count: Number(view.open_count),
      customer_order_id: view.customer_order_id ?? '',
      customer_reference: view.customer_reference ?? '',
      created_time: formatWireTime(Number(view.created_at), offset),
      paid_time: paid && view.order_paid_at !== null ? formatWireTime(Number(view.order_paid_at), offset) : '',
      invoice_id: view.invoice_id,
      invoice_url: invoiceUrlOf(ctx, view.token),
      return_url: view.return_url,
      notify_url: view.notify_url,
      token: view.token,
      status,
      paid_method: paid ? (view.order_payment_method ?? '') : '',
      payment_methods: wallet.methods,
      // Who paid is the provider's knowledge, which no provider here reports.
      payer: '',
      max_open_count: view.max_open_count === null ? null : Number(view.max_open_count),
      qrcode: Number(view.qrcode) === 1,
      app: view.app === null ? null : Number(view.app),
      expire_time: formatWireTime(Number(view.expires_at), offset),
      order_id: view.order_id ?? '',
    };
  };
}
