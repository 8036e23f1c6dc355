/**
 * A customer's payment code (the barcode their Alipay or WeChat app shows), spec §4.9:
 * the prefix tells the wallet. WeChat: 10–15 followed by 16 digits (18 in all);
 * Alipay: 25–30 followed by digits, 16–24 in all.
 */
export type PayCodeWallet = 'wechat' | 'alipay';

export type PayCodeParse = { ok: true; method: PayCodeWallet } | { ok: false; reason: string };

export function parsePayCode(code: string): PayCodeParse {
  if (!/^\d+$/.test(code)) return { ok: false, reason: 'must be digits only' };
  const prefix = Number(code.slice(0, 2));
  if (prefix >= 10 && prefix <= 15) {
    if (code.length === 18) return { ok: true, method: 'wechat' };
    return { ok: false, reason: `starts like a WeChat code (10–15) but has ${code.length} digits instead of 18` };
  }
  if (prefix >= 25 && prefix <= 30) {
    if (code.length >= 16 && code.length <= 24) return { ok: true, method: 'alipay' };
    return { ok: false, reason: `starts like an Alipay code (25–30) but has ${code.length} digits instead of 16–24` };
  }
  return { ok: false, reason: 'is neither a WeChat code (10–15 + 16 digits) nor an Alipay code (25–30, 16–24 digits)' };
}

/** A pay code for logs: enough to recognise it, not enough to replay it. */
export function maskPayCode(code: string): string {
  return code.length <= 8 ? '*'.repeat(code.length) : code.slice(0, 4) + '*'.repeat(code.length - 8) + code.slice(-4);
}
