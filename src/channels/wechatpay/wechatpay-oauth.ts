import http from 'node:http';
import https from 'node:https';
import { ProviderError, type PayerIdentity } from '../provider.js';

/**
 * The payer's openid inside WeChat, for JSAPI: the official account's web authorisation
 * with scope `snsapi_base` (silent: the customer sees no consent screen). The payment page
 * sends the customer to `open.weixin.qq.com/connect/oauth2/authorize`, WeChat sends them
 * back with a single-use `code`, and the code is exchanged for the openid at
 * `api.weixin.qq.com/sns/oauth2/access_token` with the official account's AppSecret.
 * The access token that comes with it is not kept: snsapi_base needs nothing more.
 */

export const DEFAULT_AUTHORIZE_URL = 'https://open.weixin.qq.com/connect/oauth2/authorize';
export const DEFAULT_OAUTH_API_BASE_URL = 'https://api.weixin.qq.com';

export interface WechatOAuthOptions {
  /** The official account whose users' openids JSAPI takes (the account's appid, or the sub-merchant's). */
  readonly appId: string;
  readonly appSecret: string;
  readonly authorizeUrl?: string;
  readonly apiBaseUrl?: string;
  readonly timeoutMs?: number;
}

export class WechatOAuth implements PayerIdentity {
  readonly #options: WechatOAuthOptions;

  constructor(options: WechatOAuthOptions) {
    this.#options = options;
  }

  /** The authorisation URL; WeChat wants its parameters in this order and the `#wechat_redirect` fragment. */
  authorizeUrl(returnUrl: string, state: string): string {
    const query = [
      `appid=${encodeURIComponent(this.#options.appId)}`,
      `redirect_uri=${encodeURIComponent(returnUrl)}`,
      'response_type=code',
      'scope=snsapi_base',
      `state=${encodeURIComponent(state)}`,
    ].join('&');
    return `${this.#options.authorizeUrl ?? DEFAULT_AUTHORIZE_URL}?${query}#wechat_redirect`;
  }

  async openIdFor(code: string): Promise<string> {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(code)) throw new ProviderError('declined', 'the WeChat authorisation code is malformed');
    const url = new URL('/sns/oauth2/access_token', this.#options.apiBaseUrl ?? DEFAULT_OAUTH_API_BASE_URL);
    url.search = new URLSearchParams({ appid: this.#options.appId, secret: this.#options.appSecret, code, grant_type: 'authorization_code' }).toString();
    // The URL carries the AppSecret (WeChat's design): it is never logged nor put in an error.
    const answer = await getJson(url, this.#options.timeoutMs ?? 10_000);
    if (typeof answer.openid === 'string' && answer.openid !== '') return answer.openid;
    const errcode = typeof answer.errcode === 'number' ? answer.errcode : undefined;
    // 40029 (invalid code), 40163 (code used), 42003 (code expired): the customer's code, not the configuration.
    const codeProblem = errcode === 40029 || errcode === 40163 || errcode === 42003;
    throw new ProviderError(codeProblem ? 'declined' : errcode === 40125 || errcode === 40013 ? 'misconfigured' : 'not_done', `WeChat did not give the payer's openid (errcode ${errcode ?? '?'}: ${String(answer.errmsg ?? '')})`, {
      providerCode: errcode === undefined ? undefined : String(errcode),
    });
  }
}

function getJson(url: URL, timeoutMs: number): Promise<Record<string, unknown>> {
  const transport = url.protocol === 'https:' ? https : http;
  const where = `${url.origin}${url.pathname}`;
  return new Promise((resolve, reject) => {
    const req = transport.get(url, { headers: { Accept: 'application/json' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (cause) => reject(new ProviderError('not_done', `no answer from ${where}`, { cause })));
      res.on('end', () => {
        clearTimeout(timer);
        try {
          const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
          resolve(parsed as Record<string, unknown>);
        } catch (cause) {
          reject(new ProviderError('not_done', `${where} answered HTTP ${res.statusCode ?? 0} without JSON`, { cause }));
        }
      });
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (cause) => {
      clearTimeout(timer);
      reject(new ProviderError('not_done', `could not ask ${where} for the payer's openid: ${cause.message}`, { cause }));
    });
  });
}
