#!/usr/bin/env node
// `npm test`: everything CI checks, from a fresh clone (see test.ts).
//
// Plain JavaScript because it runs before `npm ci`: it installs the packages if
// missing, then runs test.ts through tsx in this process.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDependencies, loadTypeScript } from './ensure-dependencies.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
process.chdir(root);
const env = {
  ...process.env,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  FORCE_COLOR: process.env['FORCE_COLOR'] ?? '0',
};
ensureDependencies(root, env);
const { main } = /** @type {typeof import('./test')} */ (await loadTypeScript('./test.ts'));
process.exit(await main(root, env));
