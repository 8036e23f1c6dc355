import { randomBytes } from 'node:crypto';
import type { ChannelOutcome, ChannelPayment, ChannelPaymentRequest, PaymentChannel } from '../channel.js';
import type { ChannelRefundRequest, ChannelRefundResult } from '../channel.js';
import { ChannelNotificationError } from '../channel.js';
import { ChannelUnavailableError, type ChannelCodeCharge, type ChannelCodeChargeRequest } from '../channel.js';
import type { PaymentMethod } from '../../domain/payment-methods.js';
import { hmacHex, signaturesEqual } from '../../domain/signature.js';
import type { Db } from '../../store/store.js';
import {
  closeOpenSandboxTrade,
  findSandboxTrade,
  findSandboxTradeByOrder,
  insertSandboxTrade,
  setSandboxTradeStatus,
  settleOpenSandboxTrade,
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

/** A refund whose reference contains this is refused by the sandbox provider (for tests). */
export const SANDBOX_FAIL_REFUND = 'sandbox:fail-refund';

/**
 * What the sandbox does with a barcode payment, by the pay code's last digit: 0–5 pay at
 * once, 6 is declined, 7 and 8 wait for the customer (pending) and then pay or fail after
 * `barcodePendingMs`, 9 makes the provider fail (nothing is charged).
 */
export type SandboxCodeBehaviour = 'paid' | 'declined' | 'pending-then-paid' | 'pending-then-failed' | 'provider-error';

export function sandboxCodeBehaviour(payCode: string): SandboxCodeBehaviour {
  const digit = payCode.slice(-1);
  if (digit === '6') return 'declined';
  if (digit === '7') return 'pending-then-paid';
  if (digit === '8') return 'pending-then-failed';
  if (digit === '9') return 'provider-error';
  return 'paid';
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
  /** How long a pending barcode payment waits before the sandbox customer settles it (default 3000). */
  barcodePendingMs?: number;
  /** Told when a delayed settlement fails (it runs on a timer, with no caller to answer). */
  onError?: (error: unknown, context: string) => void;
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
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(deps: SandboxChannelDeps) {
    this.#deps = deps;
  }

  async startPayment(request: ChannelPaymentRequest): Promise<ChannelPayment> {
    const trade = await this.#openTrade(request, this.#deps.clock());
    return { tradeId: trade.trade_no, qrUrl: this.walletUrl(trade.trade_no) };
  }

  /** Opens the order's trade, once: a retry of the same order keeps its first trade. */
  async #openTrade(request: ChannelPaymentRequest, now: number): Promise<SandboxTradeRecord> {
    const { db } = this.#deps;
    const inserted = await insertSandboxTrade(db, {
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
    const trade = inserted ?? (await findSandboxTradeByOrder(db, request.orderId));
    if (!trade) throw new Error('sandbox trade vanished');
    return trade;
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
    const settled = await settleOpenSandboxTrade(db, tradeNo, outcome === 'paid' ? 'TRADE_SUCCESS' : 'TRADE_CLOSED', clock());
    const trade = settled ?? (await findSandboxTrade(db, tradeNo));
    if (!trade) throw new ChannelNotificationError(`unknown sandbox trade ${tradeNo}`);
    const status = trade.status;
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

  /**
   * Refunds instantly when the order's trade was paid and the amount fits in it; refuses
   * when the refund's reference contains `sandbox:fail-refund` (so tests can make a
   * provider refuse). The refund id it answers is derived from ours: asking twice is harmless.
   */
  async refund(request: ChannelRefundRequest): Promise<ChannelRefundResult> {
    if (request.reason.includes(SANDBOX_FAIL_REFUND)) return { status: 'refused', reason: `the reference asks the sandbox to refuse (${SANDBOX_FAIL_REFUND})` };
    const trade = await findSandboxTradeByOrder(this.#deps.db, request.orderId);
    if (!trade || trade.status !== 'TRADE_SUCCESS') return { status: 'refused', reason: 'the trade was not paid' };
    if (trade.currency !== request.currency || request.amountMinor > Number(trade.amount_minor)) {
      return { status: 'refused', reason: 'the refund does not fit in the trade' };
    }
    return { status: 'succeeded', channelRefundId: 'SBXR' + hmacHex(this.#deps.signingKey, `refund:${request.refundId}`).slice(0, 24) };
  }

  /** The order was cancelled: its trade, if still open, can no longer be paid. */
  async closePayment(orderId: string): Promise<void> {
    await closeOpenSandboxTrade(this.#deps.db, orderId, this.#deps.clock());
  }

  /**
   * A barcode payment, decided by the pay code's last digit (sandboxCodeBehaviour). Immediate
   * outcomes are answered synchronously, like a provider's pay API; pending ones settle later
   * through the signed notification, like a customer confirming in their app.
   */
  async chargeCode(request: ChannelCodeChargeRequest): Promise<ChannelCodeCharge> {
    const { db, clock } = this.#deps;
    const behaviour = sandboxCodeBehaviour(request.payCode);
    if (behaviour === 'provider-error') throw new ChannelUnavailableError('the sandbox provider failed (pay code ending in 9); nothing was charged');
    const now = clock();
    const trade = await this.#openTrade(request, now);
    if (trade.status !== 'WAIT_BUYER_PAY') return { tradeId: trade.trade_no };
    if (behaviour === 'paid' || behaviour === 'declined') {
      const status = behaviour === 'paid' ? 'TRADE_SUCCESS' : 'TRADE_CLOSED';
      await setSandboxTradeStatus(db, trade.trade_no, status, now);
      return {
        tradeId: trade.trade_no,
        settled: {
          // The same event id its notification would carry: a repeat is ignored.
          eventId: `${trade.trade_no}:${status}`,
          orderId: trade.order_id,
          tradeId: trade.trade_no,
          outcome: behaviour === 'paid' ? 'paid' : 'failed',
          amountMinor: Number(trade.amount_minor),
          currency: trade.currency,
          occurredAt: now,
        },
      };
    }
    this.#settleLater(trade.trade_no, behaviour === 'pending-then-paid' ? 'paid' : 'failed');
    return { tradeId: trade.trade_no };
  }

  #settleLater(tradeNo: string, outcome: 'paid' | 'failed'): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.settle(tradeNo, outcome).catch((error: unknown) => this.#deps.onError?.(error, `settling sandbox trade ${tradeNo}`));
    }, this.#deps.barcodePendingMs ?? 3_000);
    timer.unref();
    this.#timers.add(timer);
  }

  /** Drops pending barcode settlements (the app is closing); their orders stay pending until they expire. */
  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
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
