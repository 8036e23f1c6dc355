import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { decodeSecretKey, type Config } from '../config.js';

/** The folder beside the SQLite file (or ./data), where a generated SECRET_KEY is kept. */
export function dataDirectory(config: Config): string {
  if (config.databaseUrl.startsWith('sqlite:')) {
    const path = config.databaseUrl.slice('sqlite:'.length);
    if (path !== ':memory:') return dirname(resolve(path));
  }
  return resolve('data');
}

/**
 * SECRET_KEY from the environment, else from `<data dir>/secret.key`, generated there
 * (mode 0600) on the first start. Losing it makes stored api keys unreadable.
 */
export function loadSecretKey(config: Config): { key: Buffer; generatedAt?: string } {
  if (config.secretKey) return { key: decodeSecretKey(config.secretKey) as Buffer };
  const file = join(dataDirectory(config), 'secret.key');
  if (existsSync(file)) {
    const key = decodeSecretKey(readFileSync(file, 'utf8').trim());
    if (!key) throw new Error(`${file} does not hold a valid key (64 hex characters)`);
    return { key };
  }
  mkdirSync(dirname(file), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return { key, generatedAt: file };
}
