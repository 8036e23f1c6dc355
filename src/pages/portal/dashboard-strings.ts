import type { Language } from '../i18n.js';

/** The dashboard's strings (docs/portal.md#dashboard). `{name}` placeholders are filled in by fillIn. */
const en = {
  title: 'Dashboard',
  daysNote: 'Days run from midnight to midnight in {offset}; an order counts on the day it was created. Figures are kept per currency and never added across currencies.',
  rateNote: 'Success rate: paid orders ÷ orders that reached a final state (paid, failed, cancelled or rejected). Orders still waiting for payment are not counted.',
  empty: 'No finished orders in the last 30 days. Payments show here once orders are paid, failed, cancelled or rejected.',
  currencyHeading: '{currency}',
  today: 'Today',
  last30: 'Last 30 days',
  method: 'Method',
  volume: 'Volume',
  payments: 'Payments',
  finished: 'Finished orders',
  successRate: 'Success rate',
  total: 'All methods',
  date: 'Date',
  dailyChartTitle: 'Daily volume in {currency}, last 30 days',
  dailySummary: '{volume} {currency} in {payments} payments over the last 30 days; the busiest day was {day} with {max} {currency}.',
  dailySummaryEmpty: 'No payments in {currency} over the last 30 days.',
  dayBar: '{day}: {volume} {currency}, {payments} payments',
  methodChartTitle: 'Volume by method in {currency}, last 30 days',
  methodBar: '{method}: {volume} {currency}, success rate {rate}',
  methodValue: '{volume} {currency} · {rate}',
  showDays: 'Daily figures as a table',
  method_alipay: 'Alipay',
  method_wechat: 'WeChat Pay',
  method_onlineBank: 'NZ bank account',
  method_polipay: 'POLi',
  method_payid: 'PayID',
  method_upi_upop: 'UnionPay online',
  method_moneymore: 'Moneymore',
  method_coin_payments: 'CoinPayments',
  method_unionpay: 'UnionPay',
};

export const DASHBOARD_STRINGS = {
  en,
  zh: {
    title: '概览',
    daysNote: '每天按 {offset} 从零点到零点计算；订单计入其创建的那一天。各币种分别统计，不同币种的金额从不相加。',
    rateNote: '成功率：已支付订单 ÷ 已结束的订单（已支付、失败、已取消或被驳回）。仍在等待付款的订单不计入。',
    empty: '最近 30 天没有已结束的订单。订单支付成功、失败、取消或被驳回后，数据会显示在这里。',
    currencyHeading: '{currency}',
    today: '今天',
    last30: '最近 30 天',
    method: '支付方式',
    volume: '交易额',
    payments: '成功笔数',
    finished: '已结束订单',
    successRate: '成功率',
    total: '全部方式',
    date: '日期',
    dailyChartTitle: '{currency} 每日交易额（最近 30 天）',
    dailySummary: '最近 30 天共 {payments} 笔付款，合计 {volume} {currency}；交易额最高的一天是 {day}，为 {max} {currency}。',
    dailySummaryEmpty: '最近 30 天没有 {currency} 付款。',
    dayBar: '{day}：{volume} {currency}，{payments} 笔',
    methodChartTitle: '{currency} 各支付方式交易额（最近 30 天）',
    methodBar: '{method}：{volume} {currency}，成功率 {rate}',
    methodValue: '{volume} {currency} · {rate}',
    showDays: '以表格查看每日数据',
    method_alipay: '支付宝',
    method_wechat: '微信支付',
    method_onlineBank: '新西兰银行账户',
    method_polipay: 'POLi',
    method_payid: 'PayID',
    method_upi_upop: '银联在线',
    method_moneymore: 'Moneymore',
    method_coin_payments: 'CoinPayments',
    method_unionpay: '银联',
  },
} as const satisfies Record<Language, Record<keyof typeof en, string>>;

/** A payment method's name in `language`; an unknown code as it is. */
export function methodName(language: Language, method: string): string {
  const key = `method_${method}`;
  const table = DASHBOARD_STRINGS[language] as Record<string, string>;
  return Object.hasOwn(table, key) ? table[key] : method;
}
