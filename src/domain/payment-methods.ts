/** Every payment method the wire knows (spec §4.1). */
export const PAYMENT_METHODS = [
  'alipay',
  'wechat',
  'onlineBank',
  'polipay',
  'payid',
  'upi_upop',
  'moneymore',
  'coin_payments',
  'unionpay',
] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];

export function isPaymentMethod(value: string): value is PaymentMethod {
  return (PAYMENT_METHODS as readonly string[]).includes(value);
}

/** How `GET /v2/detail` names a method (spec §4.10: "Alipay,Wechat"). */
export const METHOD_DISPLAY_NAMES: Record<PaymentMethod, string> = {
  alipay: 'Alipay',
  wechat: 'Wechat',
  onlineBank: 'OnlineBank',
  polipay: 'Polipay',
  payid: 'PayID',
  upi_upop: 'UPI_UPOP',
  moneymore: 'Moneymore',
  coin_payments: 'CoinPayments',
  unionpay: 'UnionPay',
};
