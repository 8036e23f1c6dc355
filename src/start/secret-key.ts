import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { ConfigError, decodeSecretKey, type Config } from '../config.js';
import { SecretBox, UnreadableSecretError } from '../domain/secret-box.js';
import { findAnySealedSecret } from '../store/sealed-secrets.js';
import { getSetting, putSettingIfAbsent } from '../store/settings.js';
import type { Store } from '../store/store.js';

import { SECRET_KEY_FINGERPRINT as FINGERPRINT } from '../gateway/rotate-secret-key.js';

/**
 * Where the master key comes from: SECRET_KEY (or SECRET_KEY_FILE), else a `secret.key`
 * file beside the SQLite database, else (an in-memory database) a key that lives as long
 * as the process. Never a path relative to the current directory: a command run from
 * elsewhere would otherwise make a second key and seal a merchant's key with it.
 */
export function secretKeyFile(config: Config): string | undefined {
  if (config.secretKey || !config.databaseUrl.startsWith('sqlite:')) return undefined;
  const path = config.databaseUrl.slice('sqlite:'.length);
  return path === ':memory:' ? undefined : join(dirname(resolve(path)), 'secret.key');
}

/**
 * SECRET_KEY from the configuration, else from `secret.key` beside the SQLite database,
 * generated there (mode 0600) on the first start. Losing it makes stored api keys unreadable.
 */
export function loadSecretKey(config: Config): { key: Buffer; generatedAt?: string } {
  if (config.secretKey) return { key: decodeSecretKey(config.secretKey) as Buffer };
  const file = secretKeyFile(config);
  if (file === undefined) {
    // loadConfig requires SECRET_KEY except on SQLite; an in-memory database dies with the process.
    return { key: randomBytes(32) };
  }
  if (existsSync(file)) return { key: readKeyFile(file) };
  mkdirSync(dirname(file), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { key, generatedAt: file };
}

export function readKeyFile(file: string): Buffer {
  const key = decodeSecretKey(readFileSync(file, 'utf8').trim());
  if (!key) throw new ConfigError('SECRET_KEY', `${file} does not hold a valid key (64 hex characters)`);
  return key;
}

/** The SecretBox of this process: SECRET_KEY (or its file) and, during a rotation, SECRET_KEY_PREVIOUS. */
export function openSecretBox(config: Config): { secrets: SecretBox; generatedAt?: string } {
  const { key, generatedAt } = loadSecretKey(config);
  const previous = config.secretKeyPrevious ? decodeSecretKey(config.secretKeyPrevious) : undefined;
  return { secrets: new SecretBox(key, previous), generatedAt };
}

/**
 * Refuses a key that is not the one the database's secrets are sealed with. The database
 * records the key's fingerprint on first use; a database from before fingerprints is
 * checked by opening one of its sealed secrets. During a rotation the previous key's
 * fingerprint is accepted too. Throws a ConfigError naming SECRET_KEY.
 */
export async function verifySecretKey(store: Store, secrets: SecretBox, now: number): Promise<void> {
  let recorded = await getSetting(store.db, FINGERPRINT);
  if (recorded === undefined) {
    const sample = await findAnySealedSecret(store.db);
    if (sample !== undefined) {
      try {
        secrets.open(sample);
      } catch (error) {
        if (!(error instanceof UnreadableSecretError)) throw error;
        throw mismatch('the secrets stored in this database were sealed with another key');
      }
    }
    recorded = await putSettingIfAbsent(store.db, FINGERPRINT, secrets.fingerprint(), now);
  }
  if (recorded !== secrets.fingerprint() && recorded !== secrets.previousFingerprint()) {
    throw mismatch(`this database's secrets are sealed with the key whose fingerprint is ${recorded}, and this key's is ${secrets.fingerprint()}`);
  }
}


function mismatch(detail: string): ConfigError {
  return new ConfigError(
    'SECRET_KEY',
    `does not match this database: ${detail}. Give every process the same SECRET_KEY (during a rotation, the old one as SECRET_KEY_PREVIOUS); see docs/running-in-production.md`,
  );
}
