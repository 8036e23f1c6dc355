import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../config.js';

/**
 * Loads an env file into `process.env` once, at start-up, before the configuration is
 * parsed: the file ENV_FILE names (it must exist), or else `.env` in `cwd` when there is
 * one. Variables already in the environment win over the file's (process.loadEnvFile
 * leaves them alone), so `PORT=9000 latipay serve` beats a `.env` that says otherwise.
 * Answers the file loaded, or undefined.
 */
export function loadEnvFile(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | undefined {
  const named = env.ENV_FILE?.trim() || undefined;
  const path = resolve(cwd, named ?? '.env');
  if (named === undefined && !existsSync(path)) return undefined;
  try {
    process.loadEnvFile(path);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const reason = e.code === 'ENOENT' ? 'no such file' : e.message;
    throw new ConfigError(named !== undefined ? 'ENV_FILE' : '.env', `cannot read ${path}: ${reason}`);
  }
  return path;
}
