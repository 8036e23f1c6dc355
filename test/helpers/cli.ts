import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestGateway } from './gateway.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/latipay.mjs', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `latipay ...args` as its own process (bounded to a minute) and collects what it printed. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The environment a CLI needs to work on a test gateway's database, with its key. */
export function cliEnvFor(gw: TestGateway, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // ENV_FILE: a developer's .env in the repository must not change what the tests run.
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: gw.config.databaseUrl, SECRET_KEY: gw.config.secretKey, LOG_LEVEL: 'silent', ENV_FILE: '/dev/null', ...extra };
  delete env.NODE_ENV;
  return env;
}
