/** Where the customer opened the page, from the User-Agent (spec §4.2). */
export type Device = 'pc' | 'mobile' | 'wechat-app' | 'alipay-app';

export function detectDevice(userAgent: string | undefined): Device {
  const ua = userAgent ?? '';
  if (/MicroMessenger/i.test(ua)) return 'wechat-app';
  if (/AlipayClient/i.test(ua)) return 'alipay-app';
  if (/Mobile|Android|iPhone|iPad|iPod|HarmonyOS/i.test(ua)) return 'mobile';
  return 'pc';
}
