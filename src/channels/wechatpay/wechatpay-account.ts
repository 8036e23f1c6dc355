import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { OpenedAccount } from '../provider-registry.js';
import { parsePlatformCertificates, type PlatformCertificate } from './wechatpay-verifier.js';

/**
 * One WeChat Pay account as the adapter uses it, read from what `latipay provider set`
 * stored (wechatpay-module.ts writes both halves): the config (ids, serials, public keys,
 * base URL: not secret) and the sealed secrets (the merchant's private key, the APIv3 key,
 * the official account's AppSecret).
 *
 * Common mode: a merchant (`mchid`, `appid`) signs for itself. Institutional mode: the
 * institution (`sp_mchid`, `sp_appid`) signs for a sub-merchant (`sub_mchid`, optionally
 * with its own `sub_appid`).
 */

/** The stored, non-secret settings. */
export interface WechatpayConfig {
  readonly mode: 'common' | 'institutional';
  readonly mchid?: string;
  readonly appid?: string;
  readonly sp_mchid?: string;
  readonly sp_appid?: string;
  readonly sub_mchid?: string;
  readonly sub_appid?: string;
  /** The serial of the signing merchant's API certificate. */
  readonly serial_no: string;
  readonly wechatpay_public_key_id: string;
  readonly wechatpay_public_key: string;
  /** WeChat Pay platform certificates (PEM), when the account still receives answers signed with them. */
  readonly platform_certificates?: string;
  readonly merchant_category_code: string;
  readonly base_url: string;
  /** Whether the payment page identifies payers inside WeChat (the AppSecret is among the secrets). */
  readonly oauth: boolean;
}

/** The sealed settings. */
export interface WechatpaySecrets {
  readonly private_key: string;
  readonly apiv3_key: string;
  readonly oauth_app_secret?: string;
}

export const DEFAULT_BASE_URL = 'https://apihk.mch.weixin.qq.com';

export interface WechatpayAccount {
  readonly id: string;
  readonly mode: 'common' | 'institutional';
  /** Who signs requests (Authorization mchid). */
  readonly signerMchid: string;
  readonly serialNo: string;
  readonly privateKey: KeyObject;
  readonly apiV3Key: string;
  readonly publicKey: { readonly id: string; readonly key: KeyObject };
  readonly certificates: readonly PlatformCertificate[];
  readonly merchantCategoryCode: string;
  readonly baseUrl: string;
  readonly notifyUrl: string;
  /** The app a payer's openid belongs to inside WeChat (JSAPI's appId, OAuth's appid). */
  readonly payerAppId: string;
  readonly oauthAppSecret?: string;
  /** The identity fields of order and refund bodies. */
  readonly bodyIdentity: Readonly<Record<string, string>>;
  /** The identity fields of close and reverse bodies. */
  readonly merchantIdentity: Readonly<Record<string, string>>;
  /** The identity query of GET requests (`mchid=…`, or `sp_mchid=…&sub_mchid=…`). */
  readonly queryIdentity: string;
  /** The payer object of a JSAPI order for an openid of `payerAppId`. */
  payerOf(openid: string): Record<string, string>;
  /**
   * The identity of a JSAPI order paid from another app of the merchant, a mini program
   * (its `appId`): common mode orders with it as `appid`; institutional mode as `sub_appid`
   * with a `sub_openid` (the sub-merchant's mini program), or, when it is the institution's
   * own `sp_appid`, with an `sp_openid`.
   */
  forApp(appId: string): { readonly bodyIdentity: Readonly<Record<string, string>>; payerOf(openid: string): Record<string, string> };
  /** Whether a resource WeChat Pay sent names this account's merchant. */
  isOwn(resource: { mchid?: unknown; sp_mchid?: unknown; sub_mchid?: unknown }): boolean;
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new Error(`the WeChat Pay account has no ${what}; configure it again with latipay provider set`);
  return value;
}

/** The account an adapter serves, from its opened provider account. Throws when the stored settings are incomplete. */
export function wechatpayAccountOf(opened: Pick<OpenedAccount, 'id' | 'config' | 'secrets' | 'notifyUrl'>): WechatpayAccount {
  const config = opened.config as unknown as WechatpayConfig;
  const secrets = opened.secrets as unknown as WechatpaySecrets;
  const institutional = config.mode === 'institutional';
  const signerMchid = required(institutional ? config.sp_mchid : config.mchid, institutional ? 'sp_mchid' : 'mchid');
  const subMchid = institutional ? required(config.sub_mchid, 'sub_mchid') : undefined;
  const appid = required(institutional ? config.sp_appid : config.appid, institutional ? 'sp_appid' : 'appid');
  const subAppid = institutional ? config.sub_appid : undefined;
  const bodyIdentity: Record<string, string> = institutional
    ? { sp_appid: appid, sp_mchid: signerMchid, sub_mchid: subMchid as string, ...(subAppid ? { sub_appid: subAppid } : {}) }
    : { appid, mchid: signerMchid };
  const merchantIdentity: Record<string, string> = institutional ? { sp_mchid: signerMchid, sub_mchid: subMchid as string } : { mchid: signerMchid };
  return {
    id: opened.id,
    mode: institutional ? 'institutional' : 'common',
    signerMchid,
    serialNo: required(config.serial_no, 'serial_no'),
    privateKey: createPrivateKey(required(secrets.private_key, 'private key')),
    apiV3Key: required(secrets.apiv3_key, 'APIv3 key'),
    publicKey: { id: required(config.wechatpay_public_key_id, 'WeChat Pay public key id'), key: createPublicKey(required(config.wechatpay_public_key, 'WeChat Pay public key')) },
    certificates: config.platform_certificates ? parsePlatformCertificates(config.platform_certificates) : [],
    merchantCategoryCode: required(config.merchant_category_code, 'merchant category code'),
    baseUrl: config.base_url || DEFAULT_BASE_URL,
    notifyUrl: opened.notifyUrl,
    // The official account the AppSecret is for: the sub-merchant's own when it has one.
    payerAppId: subAppid ?? appid,
    oauthAppSecret: config.oauth ? secrets.oauth_app_secret : undefined,
    bodyIdentity,
    merchantIdentity,
    queryIdentity: new URLSearchParams(merchantIdentity).toString(),
    payerOf: (openid): Record<string, string> => ({ [institutional ? (subAppid ? 'sub_openid' : 'sp_openid') : 'openid']: openid }),
    forApp: (appId): { bodyIdentity: Record<string, string>; payerOf(openid: string): Record<string, string> } => {
      if (!institutional) return { bodyIdentity: { appid: appId, mchid: signerMchid }, payerOf: (openid) => ({ openid }) };
      const base: Record<string, string> = { sp_appid: appid, sp_mchid: signerMchid, sub_mchid: subMchid as string };
      if (appId === appid) return { bodyIdentity: base, payerOf: (openid) => ({ sp_openid: openid }) };
      return { bodyIdentity: { ...base, sub_appid: appId }, payerOf: (openid) => ({ sub_openid: openid }) };
    },
    isOwn: (resource) =>
      institutional ? resource.sp_mchid === signerMchid && resource.sub_mchid === subMchid : resource.mchid === signerMchid,
  };
}
