import type { ColumnType, Generated } from 'kysely';

/** The tables, as kysely sees them. Times are epoch milliseconds; booleans are 0/1. */
export interface Database {
  organisations: OrganisationTable;
  users: UserTable;
  wallets: WalletTable;
  wallet_users: WalletUserTable;
  orders: OrderTable;
  notifications: NotificationTable;
  notification_attempts: NotificationAttemptTable;
  channel_events: ChannelEventTable;
  sandbox_trades: SandboxTradeTable;
  fx_rates: FxRateTable;
  refunds: RefundTable;
  ledger_entries: LedgerEntryTable;
  settings: SettingTable;
  audit_events: AuditEventTable;
  idempotency_keys: IdempotencyKeyTable;
  signature_usage: SignatureUsageTable;
  provider_accounts: ProviderAccountTable;
  payment_attempts: PaymentAttemptTable;
  provider_messages: ProviderMessageTable;
  id_blocks: IdBlockTable;
  earlier_nonces: EarlierNonceTable;
  order_details: OrderDetailsTable;
  invoices: InvoiceTable;
  portal_users: PortalUserTable;
  portal_sessions: PortalSessionTable;
  portal_links: PortalLinkTable;
  day_totals_progress: DayTotalsProgressTable;
  order_day_totals: OrderDayTotalsTable;
  ledger_day_totals: LedgerDayTotalsTable;
}

export interface OrganisationTable {
  id: Generated<number>;
  name: string;
  created_at: number;
  /** 0: disabled by an operator; its portal users cannot sign in. */
  active: Generated<number>;
}

export interface UserTable {
  id: string;
  organisation_id: number;
  name: string;
  /** The api key, sealed with SECRET_KEY (see SecretBox). */
  api_key_sealed: string;
  active: number;
  created_at: number;
  /** The key before the last rotation, sealed; accepted until api_key_previous_until. */
  api_key_previous_sealed: string | null;
  api_key_previous_until: number | null;
  /** 0: the legacy concatenated signatures (spec §2.2.4–6) are refused. */
  legacy_signatures: Generated<number>;
}

export interface WalletTable {
  id: string;
  organisation_id: number;
  name: string;
  currency: string;
  /** Comma-separated payment methods the wallet accepts, e.g. `alipay,wechat`. */
  methods: string;
  /** Single-payment limit in minor units; null = none. */
  single_limit_minor: number | null;
  created_at: number;
  /** 1: a test wallet, which the sandbox serves even in production; 0: live. */
  test: Generated<number>;
}

export interface WalletUserTable {
  wallet_id: string;
  user_id: string;
}

export interface OrderTable {
  order_id: string;
  user_id: string;
  wallet_id: string;
  organisation_id: number;
  merchant_reference: string;
  amount_minor: number;
  currency: string;
  payment_method: string;
  product_name: string;
  return_url: string;
  callback_url: string;
  backpage_url: string | null;
  ip: string;
  host_type: string;
  present_qr: string;
  /** Hash of the request's meaningful fields, to tell a checkout retry from a conflicting reuse. */
  request_hash: string;
  status: string;
  nonce: string;
  channel: string;
  channel_trade_id: string | null;
  channel_qr_url: string | null;
  created_at: number;
  expires_at: number;
  paid_at: number | null;
  updated_at: number;
  /** The wallet currency → CNY rate at creation (a decimal string), recorded so later changes never alter the order. */
  currency_rate: string | null;
  amount_cny_minor: number | null;
  /** Why the order waits for an operator (a payment whose amount or currency did not match); null: it does not. */
  review_reason: string | null;
  /** The provider account chosen when the order was created (`sandbox` for the sandbox). */
  provider_account_id: string | null;
}

export interface NotificationTable {
  id: Generated<number>;
  order_id: string;
  url: string;
  /** The form body, signed when the status changed. */
  body: string;
  /** `pending` until acknowledged with `sent`, then `delivered`; `abandoned` past the give-up horizon. */
  status: string;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  created_at: number;
  delivered_at: number | null;
  /** The user whose api key signs the callback; null only on rows older than the column. */
  user_id: string | null;
  /** The callback URL's origin (endpointOf); null only on callbacks delivered before the column. */
  endpoint: string | null;
}

export interface NotificationAttemptTable {
  id: Generated<number>;
  notification_id: number;
  attempted_at: number;
  http_status: number | null;
  body_excerpt: string | null;
  duration_ms: number;
  error: string | null;
  owner: string;
}

export interface ChannelEventTable {
  channel: string;
  event_id: string;
  order_id: string;
  outcome: string;
  received_at: number;
}

export interface SandboxTradeTable {
  trade_no: string;
  /** The payment attempt the trade belongs to (the gateway's trade number). */
  out_trade_no: string;
  method: string;
  amount_minor: number;
  currency: string;
  subject: string;
  status: string;
  created_at: number;
  updated_at: number;
  /** JSON of what the trade ended with besides its status (bank, rejection); null: nothing. */
  detail: string | null;
}

export interface FxRateTable {
  base: string;
  quote: string;
  /** A positive decimal string such as `4.6449`; never a float. */
  rate: string;
  updated_at: number;
}

export interface RefundTable {
  refund_id: string;
  order_id: string;
  user_id: string;
  wallet_id: string;
  amount_minor: number;
  currency: string;
  reference: string;
  kind: string;
  status: string;
  channel_refund_id: string | null;
  failure: string | null;
  created_at: number;
  updated_at: number;
  /** The payment attempt whose money the refund gives back. */
  attempt_id: string | null;
}

export interface LedgerEntryTable {
  id: Generated<number>;
  wallet_id: string;
  order_id: string;
  refund_id: string | null;
  kind: string;
  amount_minor: number;
  currency: string;
  created_at: number;
}

export interface SettingTable {
  key: string;
  value: string;
  updated_at: number;
}

export interface AuditEventTable {
  id: Generated<number>;
  at: number;
  actor: string;
  action: string;
  target: string;
  /** JSON; never a secret. */
  details: string;
  source: string;
  /** The organisation the event belongs to, when known (portal actions); null: the gateway's or unknown. */
  organisation_id: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface IdempotencyKeyTable {
  user_id: string;
  key: string;
  endpoint: string;
  request_hash: string;
  status: string;
  answer: string | null;
  created_at: number;
}

export interface SignatureUsageTable {
  user_id: string;
  form: string;
  day: string;
  count: number;
}

export interface ProviderAccountTable {
  id: string;
  wallet_id: string;
  provider: string;
  /** Comma-separated payment methods the account serves for the wallet. */
  methods: string;
  /** JSON of the settings that are not secret. */
  config: string;
  /** JSON of the secrets, sealed with SECRET_KEY. */
  secrets_sealed: string;
  created_at: number;
  updated_at: number;
}

export interface PaymentAttemptTable {
  /** The order id and two digits. */
  attempt_id: string;
  order_id: string;
  provider: string;
  account_id: string;
  method: string;
  /** `qr`, `in_app`, `redirect`, `barcode`, `instructions`; `unknown` for an attempt recorded from a provider report after a crash lost its row. */
  flow: string;
  /** `pending`, `paid`, `failed`. */
  status: string;
  provider_payment_id: string | null;
  /** JSON of the provider's next action. */
  next_action: string | null;
  amount_minor: number;
  currency: string;
  payer_amount_minor: number | null;
  payer_currency: string | null;
  payer_rate: string | null;
  created_at: number;
  updated_at: number;
}

export interface ProviderMessageTable {
  id: Generated<number>;
  attempt_id: string;
  refund_id: string | null;
  provider: string;
  kind: string;
  /** JSON, secrets masked. */
  body: string;
  at: number;
}

/** Counters shared by every process on the database, handed out a block at a time. */
export interface IdBlockTable {
  name: string;
  /** The first number no process has taken yet. */
  next_value: number;
}

/** A nonce an order had before a checkout retry gave it a fresh one. */
export interface EarlierNonceTable {
  nonce: string;
  order_id: string;
  replaced_at: number;
}

/** The optional console fields of an order's create, as JSON (the id number sealed). */
export interface OrderDetailsTable {
  order_id: string;
  details: string;
}

export interface InvoiceTable {
  invoice_id: string;
  user_id: string;
  wallet_id: string;
  organisation_id: number;
  amount_minor: number;
  currency: string;
  /** '' when the merchant gave none. */
  product_name: string;
  /** Minutes the page stays valid, counted from created_at. */
  period_time: number;
  /** How many times the page may be opened; null: no limit. */
  max_open_count: number | null;
  open_count: number;
  /** 1: created on a phone, 0: elsewhere; null: not said. */
  app: number | null;
  customer_order_id: string | null;
  customer_reference: string | null;
  /** '' when none. */
  return_url: string;
  /** '' when none. */
  notify_url: string;
  /** 1: the QR of invoice_url is shown. */
  qrcode: number;
  /** The last segment of invoice_url. */
  token: string;
  /** `pending`, or `canceled` once deleted (paid and failed are the backing order's). */
  status: string;
  /** The backing order, once a payer picked a method. */
  order_id: string | null;
  request_hash: string;
  created_at: number;
  updated_at: number;
  expires_at: number;
}

/** A user of the merchant portal: a member of one organisation, or an operator (organisation_id null). */
export interface PortalUserTable {
  id: string;
  organisation_id: number | null;
  /** Lowercased. */
  email: string;
  /** owner, admin, developer, support, viewer; operator. */
  role: string;
  /** `scrypt$N$r$p$salt$hash`; null until the set-password link is used. */
  password_hash: string | null;
  /** The TOTP secret, sealed with SECRET_KEY; null: no two-factor. */
  totp_secret_sealed: string | null;
  /** The last TOTP time step accepted (a code works once). */
  totp_last_step: number | null;
  active: Generated<number>;
  created_at: number;
  updated_at: number;
}

/** A signed-in portal session, found by the SHA-256 of its cookie token. */
export interface PortalSessionTable {
  id: string;
  user_id: string;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  address: string;
  user_agent: string;
}

/** A one-time set-password link, found by the SHA-256 of its token. */
export interface PortalLinkTable {
  id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

/** How far each kind of day totals has been added up (see order-day-totals.ts, ledger-day-totals.ts). */
export interface DayTotalsProgressTable {
  /** `orders`, or `ledger:{wallet_id}`. */
  scope: string;
  /** Everything before it (orders by expires_at, ledger entries by created_at) is in the totals. */
  boundary: number;
  /** The offset the days were cut in. */
  offset_minutes: number;
}

/** Final orders by organisation, day of creation (days since 1970-01-01 in TIMEZONE_OFFSET), wallet, currency, method and status. */
export interface OrderDayTotalsTable {
  organisation_id: number;
  day: number;
  wallet_id: string;
  currency: string;
  payment_method: string;
  status: string;
  orders: number;
  amount_minor: number;
}

/** Ledger entries by wallet, day and kind, their amounts summed. */
export interface LedgerDayTotalsTable {
  wallet_id: string;
  day: number;
  kind: string;
  entries: number;
  amount_minor: number;
}
