#!/usr/bin/env node
// Runs the compiled CLI (dist/, `npm run build`) when it is newer than every source file,
// and otherwise the TypeScript sources directly through tsx, so that `npx latipay …` from
// a checkout never runs stale code. An install without src/ (the container image) runs dist/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function compiledIsCurrent() {
  if (!existsSync(join(root, 'src'))) return true;
  try {
    return statSync(join(root, 'dist/.tsbuildinfo')).mtimeMs >= newestSource(join(root, 'src'));
  } catch {
    return false;
  }
}

if (compiledIsCurrent()) {
  await import('../dist/start/cli.js');
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/start/cli.ts');
}
