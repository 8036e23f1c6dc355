import type { FastifyRequest } from 'fastify';

export type Language = 'en' | 'zh';

const STRINGS = {
  en: {
    title: 'Pay',
    payTo: 'Pay to',
    product: 'Product',
    amount: 'Amount',
    scanAlipay: 'Open Alipay and scan the QR code to pay',
    scanWechat: 'Open WeChat and scan the QR code to pay',
    openAlipay: 'Open Alipay to pay',
    payNow: 'Pay now',
    longPressWechat: 'Press and hold the QR code, then choose to scan it, to pay in WeChat.',
    openInWechat: 'WeChat Pay works inside WeChat. Copy this link and open it in WeChat, or scan the QR code with WeChat on another device.',
    copyLink: 'Copy link',
    copied: 'Copied',
    wrongApp: 'This payment uses {method}. Open this page in a regular browser or in {method}.',
    waiting: 'Waiting for payment…',
    expiresIn: 'Expires in',
    expired: 'This payment has expired.',
    back: 'Back to the merchant',
    paidTitle: 'Payment successful',
    failedTitle: 'Payment not completed',
    redirecting: 'Taking you back to the merchant…',
    continue: 'Continue',
    notFoundTitle: 'Payment not found',
    notFoundText: 'This payment link is not valid. Please start again from the merchant’s website.',
    expiredTitle: 'Payment expired',
    badRequestTitle: 'Bad request',
    badRequestText: 'The request could not be understood.',
    internalTitle: 'Something went wrong',
    internalText: 'Please try again in a moment.',
    underReviewTitle: 'Payment received, being checked',
    underReviewText: 'A payment for this order has reached us and is being checked. Please do not pay again; the merchant will tell you how the order ends.',
    language: '中文',
    alipay: 'Alipay',
    wechat: 'WeChat Pay',
    sandboxBanner: 'Sandbox: no real money moves',
    sandboxConfirm: 'Confirm payment',
    sandboxDecline: 'Decline',
    sandboxPaid: 'Payment confirmed.',
    sandboxDeclined: 'Payment declined.',
    sandboxAlreadyPaid: 'This trade is already paid.',
    sandboxAlreadyClosed: 'This trade is closed: it can no longer be paid.',
    sandboxWallet: 'Sandbox {method}',
    sandboxBackToPayment: 'Back to the payment page',
    tradeNo: 'Trade no.',
    openTestWallet: 'Open test wallet',
    testWalletHint: 'No phone at hand? The sandbox’s test wallet opens in this browser.',
    payWith: 'Pay with',
    cnyAmount: 'About {amount} CNY',
    cnyRate: '1 {currency} = {rate} CNY',
    reference: 'Reference',
    orderNo: 'Order no.',
    canceledTitle: 'Payment cancelled',
    rejectedTitle: 'Payment rejected',
    reasonFailed: 'The payment was declined or did not go through.',
    reasonCanceled: 'The merchant cancelled this payment.',
    reasonRejected: 'The payment was rejected.',
    reasonExpired: 'The time to pay for this order ran out before the payment was made.',
    returnTo: 'Return to {merchant}',
    closePage: 'You can close this page.',
  },
  zh: {
    title: '支付',
    payTo: '收款方',
    product: '商品',
    amount: '金额',
    scanAlipay: '打开支付宝扫一扫付款',
    scanWechat: '打开微信扫一扫付款',
    openAlipay: '打开支付宝付款',
    payNow: '立即支付',
    longPressWechat: '长按二维码，识别后即可在微信中支付。',
    openInWechat: '微信支付需在微信内完成。请复制链接并在微信中打开，或用另一台设备上的微信扫描二维码。',
    copyLink: '复制链接',
    copied: '已复制',
    wrongApp: '此订单使用{method}支付，请在浏览器或{method}中打开此页面。',
    waiting: '等待付款…',
    expiresIn: '剩余时间',
    expired: '此订单已过期。',
    back: '返回商户',
    paidTitle: '支付成功',
    failedTitle: '支付未完成',
    redirecting: '正在返回商户…',
    continue: '继续',
    notFoundTitle: '未找到订单',
    notFoundText: '此支付链接无效，请返回商户网站重新下单。',
    expiredTitle: '订单已过期',
    badRequestTitle: '请求错误',
    badRequestText: '无法识别此请求。',
    internalTitle: '出错了',
    internalText: '请稍后再试。',
    underReviewTitle: '已收到付款，正在核对',
    underReviewText: '此订单的一笔付款已到达，正在核对中。请勿重复付款，商户会告知您订单的结果。',
    language: 'English',
    alipay: '支付宝',
    wechat: '微信支付',
    sandboxBanner: '沙箱环境：不会产生真实扣款',
    sandboxConfirm: '确认付款',
    sandboxDecline: '拒绝',
    sandboxPaid: '付款成功。',
    sandboxDeclined: '已拒绝付款。',
    sandboxAlreadyPaid: '此交易已付款。',
    sandboxAlreadyClosed: '此交易已关闭，无法再付款。',
    sandboxWallet: '沙箱{method}',
    sandboxBackToPayment: '返回支付页面',
    tradeNo: '交易号',
    openTestWallet: '打开测试钱包',
    testWalletHint: '手边没有手机？沙箱测试钱包可在此浏览器中打开。',
    payWith: '支付方式',
    cnyAmount: '约 {amount} 元人民币',
    cnyRate: '1 {currency} = {rate} 人民币',
    reference: '商户订单号',
    orderNo: '订单号',
    canceledTitle: '订单已取消',
    rejectedTitle: '付款被驳回',
    reasonFailed: '付款被拒绝或未能完成。',
    reasonCanceled: '商户已取消此订单。',
    reasonRejected: '此笔付款被驳回。',
    reasonExpired: '此订单的付款时间已过，未完成付款。',
    returnTo: '返回{merchant}',
    closePage: '您可以关闭此页面。',
  },
} as const;

export type Strings = { readonly [K in keyof (typeof STRINGS)['en']]: string };

/** `?lang=` wins, then the first of Accept-Language that we speak, then English. */
export function pickLanguage(request: FastifyRequest): Language {
  const query = request.query as { lang?: unknown } | undefined;
  if (query?.lang === 'zh' || query?.lang === 'en') return query.lang;
  const header = request.headers['accept-language'] ?? '';
  const ranked = header
    .split(',')
    .map((part) => {
      const [tag, ...rest] = part.trim().split(';');
      const q = rest.find((p) => p.trim().startsWith('q='));
      return { tag: tag.toLowerCase(), q: q ? Number(q.trim().slice(2)) || 0 : 1 };
    })
    .filter((x) => x.tag)
    .sort((a, b) => b.q - a.q);
  for (const { tag } of ranked) {
    if (tag.startsWith('zh')) return 'zh';
    if (tag.startsWith('en')) return 'en';
  }
  return 'en';
}

export function stringsFor(language: Language): Strings {
  return STRINGS[language];
}
