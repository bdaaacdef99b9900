// `npm test`: everything CI checks, from a fresh clone (test.mjs installs the
// packages first, then calls `main`).
//
// 1. finds Kafka and MongoDB: KAFKA_BROKERS + MONGO_URL if set, testcontainers if a
//    Docker engine answers (the jest global setup starts them), else the local
//    infrastructure of tools/local-infra (real broker from Maven Central jars, and
//    mongod or FerretDB), which it stops again at the end if it started it;
// 2. runs prettier, then lint, typecheck, unit tests, integration tests and the
//    builds of every project through Nx, and prints the test totals.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { dockerAnswers } from '@sc/testing';
import { down, up } from '../local-infra/commands';
import type { Service } from '../local-infra/commands';

function run(env: NodeJS.ProcessEnv, command: string, args: readonly string[]): number {
  console.log(`\n$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  return result.status ?? 1;
}

/** What a jest `--json` report says, as far as the totals need. */
interface JestReport {
  readonly numPassedTests: number;
  readonly numFailedTests: number;
  readonly numPendingTests: number;
  readonly numTodoTests: number;
  readonly numTotalTestSuites: number;
}

interface Totals {
  passed: number;
  failed: number;
  skipped: number;
  suites: number;
}

/** Sums the jest reports the `test` and `integration` targets wrote to dist/test-results. */
function testTotals(root: string): Totals {
  const totals: Totals = { passed: 0, failed: 0, skipped: 0, suites: 0 };
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.json')) {
        const r = JSON.parse(readFileSync(path, 'utf8')) as JestReport;
        totals.passed += r.numPassedTests;
        totals.failed += r.numFailedTests;
        totals.skipped += r.numPendingTests + r.numTodoTests;
        totals.suites += r.numTotalTestSuites;
      }
    }
  };
  walk(join(root, 'dist', 'test-results'));
  return totals;
}

/** Runs every check; returns the exit code. `env` is the children's environment (it gains KAFKA_BROKERS and MONGO_URL). */
export async function main(root: string, env: NodeJS.ProcessEnv): Promise<number> {
  rmSync(join(root, 'dist', 'test-results'), { recursive: true, force: true });

  let startedInfra: Service[] = [];
  if (!(env['KAFKA_BROKERS'] && env['MONGO_URL']) && !dockerAnswers()) {
    const infra = await up({ env });
    env['KAFKA_BROKERS'] = infra.KAFKA_BROKERS;
    env['MONGO_URL'] = infra.MONGO_URL;
    startedInfra = infra.started;
  }

  let status = 1;
  try {
    status = run(env, 'npx', ['prettier', '--check', '.', '--log-level', 'warn']);
    if (status === 0) {
      status = run(env, 'npx', [
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
      status = run(env, 'npx', [
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
    if (startedInfra.length > 0 && !env['KEEP_LOCAL_INFRA']) await down({ env, only: startedInfra });
  }
  const totals = testTotals(root);
  console.log(
    `\n${totals.suites} test files\ntests: ${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}`,
  );
  if (status === 0 && totals.passed === 0) {
    console.error('no test ran');
    status = 1;
  }
  return status;
}
