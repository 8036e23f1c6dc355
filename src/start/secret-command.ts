import { chmodSync, existsSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { SecretBox } from '../domain/secret-box.js';
import { rotateSecretKey } from '../gateway/rotate-secret-key.js';
import { cliActor, withCliStore } from './cli-runtime.js';
import { readKeyFile, secretKeyFile } from './secret-key.js';

/** `latipay secret rotate`: re-seal every stored secret under a new SECRET_KEY. */
export function addSecretCommands(program: Command): void {
  const secret = program.command('secret').description('the master key (SECRET_KEY) that seals stored api keys');
  secret
    .command('rotate')
    .description('re-encrypt every sealed secret under a new key (read from the file, or generated into it)')
    .requiredOption('--new-key-file <file>', 'the new key (64 hex characters); created with a fresh key when it does not exist')
    .action(async (options: { newKeyFile: string }) => {
      const config = loadConfig();
      const generated = !existsSync(options.newKeyFile);
      if (generated) writeFileSync(options.newKeyFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
      const newKey = readKeyFile(options.newKeyFile);
      const next = new SecretBox(newKey);
      const count = await withCliStore(config, (store, current) => rotateSecretKey(store.db, current, next, Date.now(), cliActor()));
      const keptBesideDatabase = secretKeyFile(config);
      if (keptBesideDatabase !== undefined) {
        // The gateway reads its key from this file: it gets the new one, the old one is kept beside it.
        const old = `${keptBesideDatabase}.previous`;
        renameSync(keptBesideDatabase, old);
        writeFileSync(keptBesideDatabase, newKey.toString('hex') + '\n', { mode: 0o600 });
        chmodSync(keptBesideDatabase, 0o600);
        process.stdout.write(
          `re-sealed ${count} secret(s) with the key in ${options.newKeyFile}${generated ? ' (generated)' : ''}; ${keptBesideDatabase} now holds it (the old key is in ${old}: keep it for older backups). Restart the gateway.\n`,
        );
      } else {
        process.stdout.write(
          `re-sealed ${count} secret(s) with the key in ${options.newKeyFile}${generated ? ' (generated)' : ''}; fingerprint ${next.fingerprint()}.\n` +
            `Give every process SECRET_KEY=<that key> (with the old key as SECRET_KEY_PREVIOUS until all have it), then restart them.\n`,
        );
      }
    });
}
