#!/usr/bin/env node
// Builds the package into dist/: ESM (dist/esm) and CommonJS (dist/cjs), each with its .d.ts.
// `npm run build` and `npm pack` (prepack) run it. TypeScript comes from the repository
// (the root project's devDependency): the SDK itself has no dependencies.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const sdk = fileURLToPath(new URL('..', import.meta.url));
let tsc;
try {
  tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
} catch {
  console.error('build: TypeScript is not installed; run `npm install` at the root of the repository first');
  process.exit(1);
}

// A file removed from src/ must not live on in the package.
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
for (const project of ['tsconfig.build.json', 'tsconfig.cjs.json']) {
  const result = spawnSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit', cwd: sdk });
  if (result.status !== 0) {
    console.error(`build: tsc -p ${project} failed`);
    process.exit(result.status ?? 1);
  }
}
const cjs = new URL('../dist/cjs/', import.meta.url);
mkdirSync(cjs, { recursive: true });
writeFileSync(new URL('package.json', cjs), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
console.log('build: dist/esm (ESM) and dist/cjs (CommonJS), with .d.ts');
