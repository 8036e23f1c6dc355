import type { Language } from './i18n.js';

/** The invoice page's words, in the pages' two languages (kept apart from i18n.ts: only this page uses them). */
const STRINGS = {
  en: {
    title: 'Invoice',
    payTo: 'Pay to',
    product: 'Product',
    reference: 'Reference',
    invoiceNo: 'Invoice no.',
    choose: 'Choose how to pay',
    payWith: 'Pay with {method}',
    validUntil: 'Valid until {time}',
    scanToOpen: 'Scan to open this payment link on a phone',
    noMethods: 'This payment link cannot be paid here at the moment.',
    unavailable: 'That payment method is not available for this payment link. Please choose another.',
    busy: 'The payment could not be switched just now. Please try again in a moment.',
    refusedTitle: 'This payment link cannot be used',
    expired: 'This payment link has expired.',
    canceled: 'The merchant has cancelled this payment link.',
    failed: 'The payment for this link did not go through. Please ask the merchant for a new link.',
    max_opens: 'This payment link has been opened as many times as the merchant allows.',
    contact: 'Please contact the merchant if you still want to pay.',
    otherMethod: 'Choose another way to pay',
    language: '中文',
    methods: { alipay: 'Alipay', wechat: 'WeChat Pay', onlineBank: 'NZ online banking', polipay: 'POLi', payid: 'PayID', upi_upop: 'UnionPay online', moneymore: 'MoneyMore', coin_payments: 'CoinPayments', unionpay: 'UnionPay' },
  },
  zh: {
    title: '付款单',
    payTo: '收款方',
    product: '商品',
    reference: '备注',
    invoiceNo: '付款单号',
    choose: '请选择付款方式',
    payWith: '使用{method}付款',
    validUntil: '有效期至 {time}',
    scanToOpen: '用手机扫码打开此付款链接',
    noMethods: '此付款链接暂时无法在此付款。',
    unavailable: '此付款链接不支持该付款方式，请选择其他方式。',
    busy: '暂时无法切换付款方式，请稍后再试。',
    refusedTitle: '此付款链接无法使用',
    expired: '此付款链接已过期。',
    canceled: '商户已取消此付款链接。',
    failed: '此付款链接的付款未能完成，请向商户索取新的链接。',
    max_opens: '此付款链接的打开次数已达商户设定的上限。',
    contact: '如仍需付款，请联系商户。',
    otherMethod: '选择其他付款方式',
    language: 'English',
    methods: { alipay: '支付宝', wechat: '微信支付', onlineBank: '新西兰网上银行', polipay: 'POLi', payid: 'PayID', upi_upop: '银联在线', moneymore: 'MoneyMore', coin_payments: 'CoinPayments', unionpay: '银联' },
  },
} as const;

export type InvoiceStrings = (typeof STRINGS)['en'] | (typeof STRINGS)['zh'];

export function invoiceStringsFor(language: Language): InvoiceStrings {
  return STRINGS[language];
}
