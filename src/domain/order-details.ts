import { latipayError } from './errors.js';
import { parseAmount } from './money.js';
import type { RequestParams } from './request-params.js';

/**
 * The optional fields Latipay's API console sends with a create (spec §4.1's neighbours):
 * `is_staticpay` and `is_spotpay` ("0"/"1", WeChat and Alipay), `goods_detail` (WeChat:
 * the goods of the order) and `id_number` / `id_name` (NZ online banking: the payer's id).
 * Latipay's docs give only their names; what they may hold is decided here and documented
 * in docs/api.md. They are kept with the order and handed to the provider that serves it.
 */
export interface OrderDetails {
  /** `is_staticpay=1`: paid through the merchant's static (fixed) QR. */
  readonly staticPay?: boolean;
  /** `is_spotpay=1`: paid on the spot, at the merchant's counter. */
  readonly spotPay?: boolean;
  readonly goods?: readonly GoodsItem[];
  /** The payer's name as their bank knows it. */
  readonly idName?: string;
  /** The payer's id number: sealed at rest, never logged, never answered. */
  readonly idNumber?: string;
}

export interface GoodsItem {
  /** The merchant's own id of the goods. */
  readonly goodsId?: string;
  /** WeChat Pay's id of the goods, when the merchant has one. */
  readonly wxpayGoodsId?: string;
  readonly name: string;
  readonly quantity: number;
  /** The unit price in the order's currency, in minor units. */
  readonly unitPriceMinor: number;
}

export const MAX_GOODS_ITEMS = 50;

/** The console fields of a create, validated (207 naming the field); undefined when none is sent. */
export function parseOrderDetails(params: RequestParams): OrderDetails | undefined {
  const staticPay = flag(params, 'is_staticpay');
  const spotPay = flag(params, 'is_spotpay');
  const goodsText = params.text('goods_detail');
  const goods = goodsText === undefined ? undefined : parseGoods(goodsText);
  const idName = params.text('id_name');
  if (idName !== undefined && (idName.length > 64 || /[\u0000-\u001f\u007f]/.test(idName))) {
    throw latipayError('BAD_PARAMETER', 'id_name must be at most 64 characters, without control characters');
  }
  const idNumber = params.text('id_number');
  if (idNumber !== undefined && !/^[0-9A-Za-z]{1,32}$/.test(idNumber)) {
    throw latipayError('BAD_PARAMETER', 'id_number must be 1 to 32 letters and digits');
  }
  if (staticPay === undefined && spotPay === undefined && goods === undefined && idName === undefined && idNumber === undefined) return undefined;
  return {
    ...(staticPay !== undefined ? { staticPay } : {}),
    ...(spotPay !== undefined ? { spotPay } : {}),
    ...(goods !== undefined ? { goods } : {}),
    ...(idName !== undefined ? { idName } : {}),
    ...(idNumber !== undefined ? { idNumber } : {}),
  };
}

function flag(params: RequestParams, name: string): boolean | undefined {
  const text = params.text(name);
  if (text === undefined) return undefined;
  if (text !== '0' && text !== '1') throw latipayError('BAD_PARAMETER', `${name} must be "0" or "1"`);
  return text === '1';
}

/**
 * `goods_detail`: a JSON array (sent as text, like every field) of
 * `{goods_name, quantity, price[, goods_id][, wxpay_goods_id]}`, `price` the unit price as a
 * decimal amount in the wallet's currency ("12.50"; "0" for a free item).
 */
function parseGoods(text: string): GoodsItem[] {
  const refuse = (why: string): never => {
    throw latipayError('BAD_PARAMETER', `goods_detail ${why}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return refuse('must be a JSON array of {goods_name, quantity, price}');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return refuse('must be a JSON array of {goods_name, quantity, price}');
  if (parsed.length > MAX_GOODS_ITEMS) return refuse(`may list at most ${MAX_GOODS_ITEMS} goods`);
  let total = 0;
  const goods = parsed.map((item: unknown, i): GoodsItem => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return refuse(`[${i}] must be an object`);
    const { goods_name: name, quantity, price, goods_id: goodsId, wxpay_goods_id: wxpayGoodsId } = item as Record<string, unknown>;
    if (typeof name !== 'string' || name.trim() === '' || name.length > 256) return refuse(`[${i}].goods_name must be text of 1 to 256 characters`);
    const count = typeof quantity === 'string' && /^\d+$/.test(quantity) ? Number(quantity) : quantity;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1 || count > 1_000_000) return refuse(`[${i}].quantity must be a whole number from 1 to 1000000`);
    let unitPriceMinor: number;
    if (price === 0 || (typeof price === 'string' && /^0+(\.0+)?$/.test(price))) unitPriceMinor = 0;
    else {
      const amount = parseAmount(price);
      if (!amount.ok) return refuse(`[${i}].price ${amount.reason}`);
      unitPriceMinor = amount.minor;
    }
    for (const [field, value] of [['goods_id', goodsId], ['wxpay_goods_id', wxpayGoodsId]] as const) {
      if (value !== undefined && (typeof value !== 'string' || !/^[\x21-\x7e]{1,32}$/.test(value))) return refuse(`[${i}].${field} must be 1 to 32 printable ASCII characters`);
    }
    total += unitPriceMinor * count;
    return {
      ...(typeof goodsId === 'string' ? { goodsId } : {}),
      ...(typeof wxpayGoodsId === 'string' ? { wxpayGoodsId } : {}),
      name,
      quantity: count,
      unitPriceMinor,
    };
  });
  if (total > MAX_GOODS_TOTAL_MINOR) return refuse('adds up to more than any order can be');
  return goods;
}

/** Far above any order, and far below where a sum of minor units stops being exact. */
const MAX_GOODS_TOTAL_MINOR = 10 ** 13;
