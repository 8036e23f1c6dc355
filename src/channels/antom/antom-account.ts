import type { KeyObject } from 'node:crypto';
import type { OpenedAccount } from '../provider-registry.js';
import { parsePrivateKey, parsePublicKey } from './antom-signature.js';

/** Antom's Asia domain, the one its documentation recommends (docs/providers/antom-protocol.md §1). */
export const DEFAULT_BASE_URL = 'https://open-sea-global.alipay.com';

/** What an Antom account stores that is not secret (`provider show` describes it). */
export interface AntomConfig {
  readonly client_id: string;
  /** The version of the key pair on the Antom Dashboard: sent on our signatures, expected on Antom's. */
  readonly key_version: string;
  /** Antom's public key (PEM). */
  readonly antom_public_key: string;
  /** ISO 3166 alpha-2 region the merchant operates in, sent as `merchantRegion` when set. */
  readonly merchant_region?: string;
  readonly base_url: string;
}

/** What is sealed: the merchant's private key (PKCS#8 PEM). */
export interface AntomSecrets {
  readonly private_key: string;
}

/** An account's settings, keys parsed, as the client signs and verifies with them. */
export interface AntomCredentials {
  readonly clientId: string;
  readonly keyVersion: string;
  readonly privateKey: KeyObject;
  readonly antomPublicKey: KeyObject;
  readonly merchantRegion?: string;
  readonly baseUrl: string;
  /** Sandbox accounts (client ids `SANDBOX_…`) send online payments to `/ams/sandbox/api/…`. */
  readonly sandbox: boolean;
}

export function credentialsOf(account: Pick<OpenedAccount, 'config' | 'secrets'>): AntomCredentials {
  const config = account.config as unknown as AntomConfig;
  const secrets = account.secrets as unknown as AntomSecrets;
  return {
    clientId: config.client_id,
    keyVersion: config.key_version ?? '1',
    privateKey: parsePrivateKey(secrets.private_key),
    antomPublicKey: parsePublicKey(config.antom_public_key),
    merchantRegion: config.merchant_region,
    baseUrl: (config.base_url ?? DEFAULT_BASE_URL).replace(/\/+$/, ''),
    sandbox: config.client_id.startsWith('SANDBOX_'),
  };
}
