#!/usr/bin/env node
// `npm test`: everything CI checks, from a fresh clone.
//
// 1. installs the npm packages if missing (`npm ci`);
// 2. finds Kafka and MongoDB: KAFKA_BROKERS + MONGO_URL if set, testcontainers if a
//    Docker engine answers (the jest global setup starts them), else the local
//    infrastructure of tools/local-infra (real broker from Maven Central jars, and
//    mongod or FerretDB), which it stops again at the end if it started it;
// 3. runs prettier, then lint, typecheck, unit tests, integration tests and the
//    builds of every project through Nx, and prints the test totals.
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDependencies } from './ensure-dependencies.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
process.chdir(root);
const env = {
  ...process.env,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  FORCE_COLOR: process.env.FORCE_COLOR ?? '0',
};

function run(command, args) {
  console.log(`\n$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  return result.status ?? 1;
}

function dockerAnswers() {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

function testTotals() {
  const dir = join(root, 'dist', 'test-results');
  const totals = { passed: 0, failed: 0, skipped: 0, suites: 0 };
  const walk = (d) => {
    if (!existsSync(d)) return;
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.json')) {
        const r = JSON.parse(readFileSync(path, 'utf8'));
        totals.passed += r.numPassedTests;
        totals.failed += r.numFailedTests;
        totals.skipped += r.numPendingTests + r.numTodoTests;
        totals.suites += r.numTotalTestSuites;
      }
    }
  };
  walk(dir);
  return totals;
}

ensureDependencies(root, env);
rmSync(join(root, 'dist', 'test-results'), { recursive: true, force: true });

let startedInfra = [];
const { up, down } = await import('../local-infra/cli.mjs');
if (!(env.KAFKA_BROKERS && env.MONGO_URL) && !dockerAnswers()) {
  const infra = await up();
  env.KAFKA_BROKERS = infra.KAFKA_BROKERS;
  env.MONGO_URL = infra.MONGO_URL;
  startedInfra = infra.started;
}

let status = 1;
try {
  status = run('npx', ['prettier', '--check', '.', '--log-level', 'warn']);
  if (status === 0) {
    status = run('npx', [
      'nx',
      'run-many',
      '-t',
      'lint',
      'typecheck',
      'test',
      'build',
      '--outputStyle=static',
      '--skip-nx-cache',
    ]);
  }
  if (status === 0) {
    // One integration suite at a time: they share one broker and one database server on 2 cores.
    status = run('npx', [
      'nx',
      'run-many',
      '-t',
      'integration',
      '--parallel=1',
      '--outputStyle=static',
      '--skip-nx-cache',
    ]);
  }
} finally {
  if (startedInfra.length > 0 && !env.KEEP_LOCAL_INFRA) await down({ only: startedInfra });
}
const totals = testTotals();
console.log(
  `\n${totals.suites} test files\ntests: ${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`,
);
if (status === 0 && totals.passed === 0) {
  console.error('no test ran');
  status = 1;
}
process.exit(status);
