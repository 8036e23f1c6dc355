/**
 * Wire types of the Latipay 2.0 API. Field names are the wire's own (snake_case), as in
 * Latipay's documentation, so what you read there is what you type here.
 */

/** Every payment method of spec §4.1 (a wallet accepts some of them: see `walletDetail`). */
export const PAYMENT_METHODS = ['alipay', 'wechat', 'onlineBank', 'polipay', 'payid', 'upi_upop', 'moneymore', 'coin_payments', 'unionpay'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

/** An order's status (spec §4.6). Other text is passed through, typed as a string. */
export type TransactionStatus = 'pending' | 'paid' | 'failed' | 'canceled' | 'rejected' | (string & {});

/** An amount: a decimal string with at most two decimals (`"120.00"`), or a number such as `12.5`. */
export type Amount = string | number;

/** Options every call takes. */
export interface CallOptions {
  /** Budget of this call, retries included (default: the client's `timeoutMs`). */
  timeoutMs?: number | undefined;
  /** Cancels the call. */
  signal?: AbortSignal | undefined;
}

/** `POST /v2/transaction` (spec §4.1). `user_id`, `version` and `signature` are added by the client. */
export interface CreateTransactionParams {
  amount: Amount;
  payment_method: PaymentMethod;
  /** Your own order id, unique per user. */
  merchant_reference: string;
  product_name: string;
  /** Where the gateway posts the signed result (`createCallbackHandler` answers it). */
  callback_url: string;
  /** Where the customer's browser returns after paying (`verifyReturn`); may be omitted with `host_type: '1'`. */
  return_url?: string | undefined;
  /** The customer's IP address. */
  ip: string;
  /** Defaults to the client's wallet. */
  wallet_id?: string | undefined;
  /** A back link shown on the payment page. */
  backPage_url?: string | undefined;
  /** `'1'`: WeChat shows a QR page in a mobile browser too. */
  present_qr?: '1' | undefined;
  /** `'1'`: you show the QR yourself (`gatewayData`). */
  host_type?: '1' | undefined;
  /** Further fields, signed and sent as they are (e.g. `{ source: 'ios' }`). */
  extra?: Readonly<Record<string, string>> | undefined;
}

/** The verified answer of `createTransaction`. */
export interface CreatedTransaction {
  host_url: string;
  /** Single-purpose and short-lived: send the customer on, do not store it. */
  nonce: string;
  signature: string;
  /** `host_url + "/" + nonce`: where to send the customer (or, with `host_type: '1'`, the gatewaydata URL). */
  payment_url: string;
}

/** The signed result of an order: the query answer (spec §4.6) and the callback (§4.4). */
export interface TransactionResult {
  merchant_reference: string;
  order_id: string;
  currency: string;
  /** Exactly two decimals, e.g. `"120.00"`. */
  amount: string;
  payment_method: string;
  status: TransactionStatus;
  /** `YYYY-MM-DD HH:mm:ss` (the gateway's timezone); empty while pending. */
  pay_time: string;
  signature: string;
  /** `status === 'paid'`. */
  paid: boolean;
}

/** A verified asynchronous notification (spec §4.4). */
export interface CallbackEvent extends TransactionResult {
  type: 'callback';
  /** Every field as received, including extras (PayID's `message`, `payId`, `blockData`). */
  fields: Readonly<Record<string, string>>;
  /**
   * The verified Standard Webhooks headers, when the callback carried them (this gateway
   * sends them): `id` is the same on every retry of one notification, so it tells a repeat.
   */
  webhook?: { id: string; timestamp: number };
}

/** A verified browser redirect to `return_url` (spec §4.5). Do not ship goods on it alone. */
export interface ReturnEvent {
  type: 'return';
  merchant_reference: string;
  payment_method: string;
  status: 'paid' | 'cancel_or_fail' | (string & {});
  currency: string;
  amount: string;
  signature: string;
  /** `status === 'paid'`. */
  paid: boolean;
}

/** `POST /refund` (spec §4.7). */
export interface RefundParams {
  /** The gateway's order id (`TransactionResult.order_id`). */
  order_id: string;
  refund_amount: Amount;
  /** A note; the same amount and reference again shortly after is refused as a duplicate (562). */
  reference?: string | undefined;
}

export interface RefundResult {
  message: string;
  /** The gateway's id of the refund, when it gives one. */
  refund_id?: string;
}

/** `POST /barcode` (spec §4.9). */
export interface BarcodeParams {
  amount: Amount;
  /** The digits of the customer's payment code (its prefix tells Alipay from WeChat). */
  pay_code: string;
  merchant_reference?: string | undefined;
  product_name?: string | undefined;
  callback_url?: string | undefined;
  /** Defaults to the client's wallet. */
  wallet_id?: string | undefined;
}

export interface BarcodeResult {
  order_id: string;
}

/** `GET /v2/detail/{wallet_id}` (spec §4.10). */
export interface WalletDetail {
  /** As the gateway wrote it: `"Alipay,Wechat"`. */
  payment_method: string;
  /** The same as wire names: `['alipay', 'wechat']`. */
  payment_methods: PaymentMethod[];
}

/** One rate of `GET /v2/all_rate`: one unit of the wallet's currency is worth `rate` of `currency`. */
export interface Rate {
  currency: string;
  rate: string;
  updated_at: string;
}

/** `GET /v2/all_rate` (spec §4.11). */
export interface WalletRates {
  /** The wallet's currency, the base of every rate. */
  currency: string;
  rates: Rate[];
  signature: string;
}

/** The verified `data` of `GET /v2/merchanthosted/gatewaydata/{nonce}` (spec §4.3). */
export interface GatewayData {
  order_id: string;
  nonce: string;
  payment_method: string;
  amount: string;
  amount_cny: string;
  currency: string;
  product_name: string;
  organisation_id: number;
  organisation_name: string;
  user_id: string;
  user_name: string;
  wallet_id: string;
  wallet_name: string;
  /** `data:image/png;base64,…` of a QR encoding `qr_code_url`. */
  qr_code: string;
  qr_code_url: string;
  currency_rate: string;
  merchant_reference: string;
  signature: string;
}

/** An invoice is addressed by the gateway's `invoice_id` or by your own `customer_order_id`. */
export type InvoiceAddress = { invoice_id: string; customer_order_id?: undefined } | { customer_order_id: string; invoice_id?: undefined };

/** `POST /v2/invoice` (spec §4.12): a payment link. `user_id` and `signature` are added by the client. */
export interface CreateInvoiceParams {
  amount: Amount;
  /** Defaults to the client's wallet. */
  wallet_id?: string | undefined;
  product_name?: string | undefined;
  /** Minutes the link stays valid (the gateway's default: 1440). */
  period_time?: number | undefined;
  /** How many times the link may be opened. */
  max_open_count?: number | undefined;
  /** 1: created on a phone, 0: elsewhere. */
  app?: 0 | 1 | undefined;
  /** Your own order id, unique per user: addresses the invoice like invoice_id. */
  customer_order_id?: string | undefined;
  customer_reference?: string | undefined;
  /** Where the payer's browser goes after paying (`verifyReturn`; merchant_reference is the invoice_id). */
  return_url?: string | undefined;
  /** Where the result is posted, like a callback (`verifyCallback`; merchant_reference is the invoice_id). */
  notify_url?: string | undefined;
  /** true: `qrcode_pic` is a PNG data URL of invoice_url. */
  qrcode?: boolean | undefined;
}

/** The verified answer of `createInvoice` and `updateInvoice`. */
export interface InvoiceLink {
  invoice_id: string;
  /** `data:image/png;base64,…` of a QR encoding invoice_url, or '' without `qrcode: true`. */
  qrcode_pic: string;
  /** Send the payer here. */
  invoice_url: string;
  signature: string;
}

/** `PUT /v2/invoice`: `amount` is required (the wallet defaults to the client's); fields not given keep their values. */
export type UpdateInvoiceParams = Omit<CreateInvoiceParams, 'customer_order_id'> & {
  /** With `invoice_id`: a new customer_order_id; without it, the invoice's address. */
  customer_order_id?: string | undefined;
  invoice_id?: string | undefined;
};

/** An invoice's status: `pending`, `paid`, `failed` (expired or declined), `canceled` (deleted). */
export type InvoiceStatus = 'pending' | 'paid' | 'failed' | 'canceled' | (string & {});

/** A verified invoice (`GET /v2/invoice`, and each of `GET /v2/invoices`). */
export interface Invoice {
  invoice_id: string;
  user_id: string;
  wallet_id: string;
  wallet_name: string;
  /** Exactly two decimals. */
  amount: string;
  currency: string;
  organisation_id: number;
  organisation: string;
  product_name: string;
  period_time: number;
  open_count: number;
  customer_order_id: string;
  customer_reference: string;
  /** `YYYY-MM-DD HH:mm:ss` in the gateway's time zone. */
  created_time: string;
  /** Empty until paid. */
  paid_time: string;
  invoice_url: string;
  return_url: string;
  notify_url: string;
  token: string;
  status: InvoiceStatus;
  /** The method paid with, once paid. */
  paid_method: string;
  /** The methods the payer may pick. */
  payment_methods: string[];
  payer: string;
  max_open_count: number | null;
  qrcode: boolean;
  app: number | null;
  expire_time: string;
  /** The invoice's payment (its backing order), once a payer picked a method; '' before. */
  order_id: string;
  signature: string;
  /** `status === 'paid'`. */
  paid: boolean;
}

/** `GET /v2/invoices`: created from `start_time` to `end_time` (`YYYY-MM-DD HH:mm:ss` or `YYYY-MM-DD`). */
export interface ListInvoicesParams {
  start_time: string;
  end_time?: string | undefined;
  wallet_id?: string | undefined;
  /** From 1. */
  page?: number | undefined;
  /** 1 to 100 (the gateway's default: 20). */
  page_size?: number | undefined;
}

export interface InvoiceList {
  page: number;
  page_size: number;
  total: number;
  invoices: Invoice[];
}

/** `POST /v2/invoice/refund`: the whole amount still refundable unless `refund_amount` says part. */
export type RefundInvoiceParams = InvoiceAddress & { reference?: string | undefined; refund_amount?: Amount | undefined };
