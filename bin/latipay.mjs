#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `npx latipay …` works from a checkout.
import { register } from 'tsx/esm/api';

register();
await import('../src/start/cli.ts');
