#!/usr/bin/env node
// `npm start`: the main job on one machine.
//
// Installs what is missing, brings up Kafka and MongoDB (tools/local-infra, unless
// KAFKA_BROKERS and MONGO_URL are set), builds the three worker bundles and runs
// each as its own process, as Kubernetes would. Their JSON logs are prefixed with
// the worker's name. Ctrl-C (or SIGTERM) stops them gracefully.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
process.chdir(root);
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const WORKERS = [
  { app: 'user-cards-worker', port: 9101 },
  { app: 'feed-builder-worker', port: 9102 },
  { app: 'order-summary-worker', port: 9103 },
];

function runOrExit(command, args) {
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const marker = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(join(root, 'package-lock.json')).mtimeMs) {
  runOrExit('npm', ['ci', '--no-audit', '--no-fund']);
}

if (!(env.KAFKA_BROKERS && env.MONGO_URL)) {
  const { up } = await import('../local-infra/cli.mjs');
  const infra = await up();
  env.KAFKA_BROKERS = infra.KAFKA_BROKERS;
  env.MONGO_URL = infra.MONGO_URL;
}
runOrExit('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static']);

const children = WORKERS.map(({ app, port }) => {
  const child = spawn(process.execPath, [join(root, 'dist', 'apps', app, 'main.js')], {
    env: { KAFKA_CREATE_TOPICS: 'true', HTTP_PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A group of its own: Ctrl-C reaches this script only, which sends each worker one SIGTERM.
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => console.log(`${app.padEnd(21)} | ${line}`));
  }
  child.on('exit', (code, signal) => console.log(`${app.padEnd(21)} | exited (${code ?? signal})`));
  return child;
});
console.log(`\nworkers started; probes and metrics on ${WORKERS.map((w) => `http://127.0.0.1:${w.port}/metrics`).join(', ')}`);
console.log('Ctrl-C stops them gracefully.\n');

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
await Promise.all(children.map((child) => new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)))));
process.exit(children.every((c) => c.exitCode === 0) ? 0 : 1);
