import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CallbackEvent } from '../../sdk/src/index.js';
import { formatMinor } from './catalogue.js';

export type ShopOrderStatus = 'pending' | 'paid' | 'failed' | 'canceled' | 'rejected';

export interface ShopOrderLine {
  sku: string;
  name: string;
  quantity: number;
  unitMinor: number;
}

/** A callback the shop received and verified (the authoritative news of a payment). */
export interface ReceivedCallback {
  receivedAt: string;
  status: string;
  orderId: string;
  amount: string;
  currency: string;
}

export interface ShopOrder {
  /** Our order id, sent to Latipay as merchant_reference. */
  reference: string;
  lines: ShopOrderLine[];
  totalMinor: number;
  currency: string;
  paymentMethod: 'alipay' | 'wechat';
  status: ShopOrderStatus;
  createdAt: string;
  /** Latipay's order id, once a callback or a query told it. */
  latipayOrderId?: string;
  payTime?: string;
  callbacks: ReceivedCallback[];
  /** When the customer's browser came back with a verified redirect. */
  returnedAt?: string;
  /** Something that did not add up (a callback for another amount, say). */
  problem?: string;
}

/**
 * The shop's orders: in memory, and written to a JSON file after every change when a path
 * is given (so `npm run demo` keeps them across restarts). Small by design: a real shop
 * has a database.
 */
export class OrderStore {
  readonly #orders = new Map<string, ShopOrder>();
  readonly #file: string | undefined;

  constructor(file?: string) {
    this.#file = file;
    if (file && existsSync(file)) {
      for (const order of JSON.parse(readFileSync(file, 'utf8')) as ShopOrder[]) this.#orders.set(order.reference, order);
    }
  }

  add(order: ShopOrder): void {
    this.#orders.set(order.reference, order);
    this.#save();
  }

  get(reference: string): ShopOrder | undefined {
    return this.#orders.get(reference);
  }

  /** Newest first. */
  list(): ShopOrder[] {
    return [...this.#orders.values()].reverse();
  }

  /**
   * Records a verified callback. A final status is never replaced (a paid order stays
   * paid), and a callback for another amount or currency is kept as a problem instead of
   * marking the order paid. Throws for an order we do not know, so Latipay retries.
   */
  recordCallback(event: CallbackEvent, now = new Date()): void {
    const order = this.#orders.get(event.merchant_reference);
    if (!order) throw new Error(`no order ${event.merchant_reference} in this shop`);
    order.callbacks.push({ receivedAt: now.toISOString(), status: event.status, orderId: event.order_id, amount: event.amount, currency: event.currency });
    if (event.amount !== formatTotal(order) || event.currency !== order.currency) {
      order.problem = `callback for ${event.amount} ${event.currency}, but the order is ${formatTotal(order)} ${order.currency}`;
    } else {
      this.#settle(order, event.status, event.order_id, event.pay_time);
    }
    this.#save();
  }

  /** Records what a verified query said (the return page asks when no callback came yet). */
  recordQuery(reference: string, result: { status: string; order_id: string; pay_time: string; amount: string; currency: string }): void {
    const order = this.#orders.get(reference);
    if (!order) return;
    if (result.amount === formatTotal(order) && result.currency === order.currency) this.#settle(order, result.status, result.order_id, result.pay_time);
    this.#save();
  }

  recordReturn(reference: string, now = new Date()): void {
    const order = this.#orders.get(reference);
    if (!order) return;
    order.returnedAt = now.toISOString();
    this.#save();
  }

  #settle(order: ShopOrder, status: string, latipayOrderId: string, payTime: string): void {
    if (order.status !== 'pending' || status === 'pending') return;
    if (!['paid', 'failed', 'canceled', 'rejected'].includes(status)) return;
    order.status = status as ShopOrderStatus;
    order.latipayOrderId = latipayOrderId || order.latipayOrderId;
    if (status === 'paid') order.payTime = payTime;
  }

  #save(): void {
    if (!this.#file) return;
    mkdirSync(dirname(this.#file), { recursive: true });
    const temporary = `${this.#file}.tmp`;
    writeFileSync(temporary, JSON.stringify([...this.#orders.values()], null, 2));
    renameSync(temporary, this.#file);
  }
}

function formatTotal(order: ShopOrder): string {
  return formatMinor(order.totalMinor);
}
