import { randomBytes } from 'node:crypto';
import type { ChannelOutcome, ChannelPayment, ChannelPaymentRequest, PaymentChannel } from '../channel.js';
import { ChannelNotificationError } from '../channel.js';
import type { PaymentMethod } from '../../domain/payment-methods.js';
import { hmacHex, signaturesEqual } from '../../domain/signature.js';
import type { Db } from '../../store/store.js';
import {
  findSandboxTrade,
  findSandboxTradeByOrder,
  insertSandboxTrade,
  setSandboxTradeStatus,
  type SandboxTradeRecord,
} from '../../store/sandbox-trades.js';

/** The notification the sandbox provider posts to the gateway, like a real provider's. */
export interface SandboxNotification {
  event_id: string;
  trade_no: string;
  out_trade_no: string;
  trade_status: 'TRADE_SUCCESS' | 'TRADE_CLOSED';
  total_amount: number;
  currency: string;
  gmt_payment: number;
  sign: string;
}

const SIGNED_FIELDS = ['currency', 'event_id', 'gmt_payment', 'out_trade_no', 'total_amount', 'trade_no', 'trade_status'] as const;

export interface SandboxChannelDeps {
  db: Db;
  publicUrl: string;
  /** The key the sandbox signs its notifications with (derived from SECRET_KEY). */
  signingKey: string;
  clock: () => number;
  /** How the sandbox reaches the gateway: the same entry a provider's HTTP notification takes. */
  notifyGateway: (notification: SandboxNotification) => Promise<void>;
}

/**
 * A built-in provider that behaves like a wallet app: its trades have a QR URL that opens a
 * "sandbox Alipay/WeChat" page, and a payment or decline reaches the gateway as a signed
 * notification that the gateway verifies like any provider's.
 */
export class SandboxChannel implements PaymentChannel {
  readonly name = 'sandbox';
  readonly methods: readonly PaymentMethod[] = ['alipay', 'wechat'];
  readonly #deps: SandboxChannelDeps;

  constructor(deps: SandboxChannelDeps) {
    this.#deps = deps;
  }

  async startPayment(request: ChannelPaymentRequest): Promise<ChannelPayment> {
    const { db, clock } = this.#deps;
    const now = clock();
    await insertSandboxTrade(db, {
      trade_no: 'SBX' + randomBytes(12).toString('hex'),
      order_id: request.orderId,
      method: request.method,
      amount_minor: request.amountMinor,
      currency: request.currency,
      subject: request.subject,
      status: 'WAIT_BUYER_PAY',
      created_at: now,
      updated_at: now,
    });
    // A retry of the same order keeps its first trade.
    const trade = await findSandboxTradeByOrder(db, request.orderId);
    if (!trade) throw new Error('sandbox trade vanished');
    return { tradeId: trade.trade_no, qrUrl: this.walletUrl(trade.trade_no) };
  }

  walletUrl(tradeNo: string): string {
    return `${this.#deps.publicUrl}/sandbox/wallet/${tradeNo}`;
  }

  findTrade(tradeNo: string): Promise<SandboxTradeRecord | undefined> {
    return findSandboxTrade(this.#deps.db, tradeNo);
  }

  findTradeByOrder(orderId: string): Promise<SandboxTradeRecord | undefined> {
    return findSandboxTradeByOrder(this.#deps.db, orderId);
  }

  /**
   * The customer confirmed (`paid`) or declined (`failed`) in the sandbox wallet. The trade
   * settles once; settling it again re-sends the same outcome (a provider's retry).
   */
  async settle(tradeNo: string, outcome: 'paid' | 'failed'): Promise<SandboxNotification> {
    const { db, clock } = this.#deps;
    const trade = await findSandboxTrade(db, tradeNo);
    if (!trade) throw new ChannelNotificationError(`unknown sandbox trade ${tradeNo}`);
    let status = trade.status;
    if (status === 'WAIT_BUYER_PAY') {
      status = outcome === 'paid' ? 'TRADE_SUCCESS' : 'TRADE_CLOSED';
      await setSandboxTradeStatus(db, tradeNo, status, clock());
    }
    const notification = this.signNotification({
      event_id: `${tradeNo}:${status}`,
      trade_no: tradeNo,
      out_trade_no: trade.order_id,
      trade_status: status as SandboxNotification['trade_status'],
      total_amount: trade.amount_minor,
      currency: trade.currency,
      gmt_payment: clock(),
    });
    await this.#deps.notifyGateway(notification);
    return notification;
  }

  signNotification(fields: Omit<SandboxNotification, 'sign'>): SandboxNotification {
    return { ...fields, sign: this.#sign(fields) };
  }

  parseNotification(body: unknown): ChannelOutcome {
    if (typeof body !== 'object' || body === null) throw new ChannelNotificationError('notification must be an object');
    const n = body as Partial<SandboxNotification>;
    for (const field of SIGNED_FIELDS) {
      if (n[field] === undefined || n[field] === null) throw new ChannelNotificationError(`notification lacks ${field}`);
    }
    if (typeof n.sign !== 'string' || !signaturesEqual(this.#sign(n as SandboxNotification), n.sign)) {
      throw new ChannelNotificationError('notification signature is wrong');
    }
    if (n.trade_status !== 'TRADE_SUCCESS' && n.trade_status !== 'TRADE_CLOSED') {
      throw new ChannelNotificationError(`unknown trade_status ${String(n.trade_status)}`);
    }
    if (!Number.isSafeInteger(n.total_amount) || !Number.isSafeInteger(n.gmt_payment)) {
      throw new ChannelNotificationError('total_amount and gmt_payment must be integers');
    }
    return {
      eventId: String(n.event_id),
      orderId: String(n.out_trade_no),
      tradeId: String(n.trade_no),
      outcome: n.trade_status === 'TRADE_SUCCESS' ? 'paid' : 'failed',
      amountMinor: n.total_amount as number,
      currency: String(n.currency),
      occurredAt: n.gmt_payment as number,
    };
  }

  #sign(fields: Omit<SandboxNotification, 'sign'>): string {
    const message = SIGNED_FIELDS.map((k) => `${k}=${String(fields[k])}`).join('&');
    return hmacHex(this.#deps.signingKey, message);
  }
}
