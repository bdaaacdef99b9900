#!/usr/bin/env node
// `npm start`: the main job on one machine (see start.ts). Arguments go to the
// simulator (e.g. --once, --scale 1000, --rate 2000; see tools/simulator/src/options.ts).
//
// Plain JavaScript because it runs before `npm ci`: it installs the packages if
// missing, then runs start.ts through tsx in this process (Ctrl-C reaches it as before).
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDependencies, loadTypeScript } from './ensure-dependencies.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
process.chdir(root);
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
ensureDependencies(root, env);
const { main } = /** @type {typeof import('./start')} */ (await loadTypeScript('./start.ts'));
process.exit(await main(root, env, process.argv.slice(2)));
