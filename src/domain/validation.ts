import { isIP } from 'node:net';

/** An absolute http(s) URL a merchant gives us to call or redirect to. */
export function isHttpUrl(text: string): boolean {
  if (text.length > 2048) return false;
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** The customer's IP: IPv4 per the contract; IPv6 accepted too, since proxies pass it on. */
export function isIpAddress(text: string): boolean {
  return isIP(text) !== 0;
}
