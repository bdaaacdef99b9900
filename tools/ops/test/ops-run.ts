// Runs the CLI as a script would: in process (its exit status, stdout and stderr), or
// as the built bundle in a child process, which a test can kill like a Job's pod.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { runOps } from '../src/cli';

/** What one CLI run printed and returned. */
export interface OpsRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The `--json` summary (the last stdout line), when there is one. */
  readonly json: Record<string, unknown>;
}

function parseJsonSummary(stdout: string): Record<string, unknown> {
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    return {}; // not a --json run
  }
}

/** Runs `ops <argv>` with the test's Kafka and MongoDB, the world's prefix and database. */
export async function runOpsForTest(argv: readonly string[], env: Record<string, string>): Promise<OpsRun> {
  let stdout = '';
  let stderr = '';
  const code = await runOps(
    argv,
    {
      KAFKA_BROKERS: process.env['KAFKA_BROKERS'],
      MONGO_URL: process.env['MONGO_URL'],
      OPS_PROGRESS: 'off',
      ...env,
    },
    { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } },
  );
  return { code, stdout, stderr, json: parseJsonSummary(stdout) };
}

/** The CLI's bundle (`npx nx build ops`; the integration target depends on it). */
export const OPS_BUNDLE = resolve(__dirname, '../../../dist/tools/ops/main.js');

/** The CLI running as a child process. */
export interface OpsProcess {
  readonly pid: number | undefined;
  /** Resolves once stderr has printed `line` (a whole line); rejects if the process ends first or after `timeoutMs`. */
  waitForLine(line: string, timeoutMs?: number): Promise<void>;
  /** Resolves when the process ends: its exit code (or -1 when killed by a signal) and output. */
  readonly ended: Promise<OpsRun & { readonly signal: NodeJS.Signals | null }>;
  /** SIGKILL: no handler runs, nothing is flushed or released; resolves once it is gone. */
  kill(): Promise<void>;
  /** Sends `signal` (SIGTERM as Kubernetes does, SIGINT as Ctrl-C does) and returns at once. */
  signal(signal: NodeJS.Signals): void;
}

/**
 * Starts `node dist/tools/ops/main.js <argv>` (what the Kubernetes Jobs run) with the
 * test's Kafka and MongoDB and `env` on top; progress off. Kafka sessions of 6 s, so a
 * rerun after a SIGKILL is not held up by the dead run's session for the default 30 s.
 */
export function startOpsProcess(argv: readonly string[], env: Record<string, string>): OpsProcess {
  const child = spawn(process.execPath, [OPS_BUNDLE, ...argv], {
    env: {
      PATH: process.env['PATH'] ?? '',
      KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '',
      MONGO_URL: process.env['MONGO_URL'] ?? '',
      OPS_PROGRESS: 'off',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      KAFKA_HEARTBEAT_INTERVAL_MS: '1000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    for (const watch of watchers) watch();
  });
  const ended = new Promise<OpsRun & { signal: NodeJS.Signals | null }>((resolveEnd) => {
    child.once('close', (code, signal) => {
      for (const watch of watchers) watch();
      resolveEnd({ code: code ?? -1, signal, stdout, stderr, json: parseJsonSummary(stdout) });
    });
  });
  return {
    pid: child.pid,
    ended,
    waitForLine(line, timeoutMs = 90_000) {
      return new Promise<void>((resolveLine, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`no "${line}" within ${timeoutMs} ms; stderr:\n${stderr}`)),
          timeoutMs,
        );
        const finish = (error?: Error) => {
          clearTimeout(timer);
          watchers.delete(watch);
          if (error) reject(error);
          else resolveLine();
        };
        const watch = () => {
          if (stderr.split('\n').includes(line)) finish();
          else if (child.exitCode !== null || child.signalCode !== null)
            finish(
              new Error(
                `ops ended (${child.exitCode ?? child.signalCode}) before "${line}"; stdout:\n${stdout}\nstderr:\n${stderr}`,
              ),
            );
        };
        watchers.add(watch);
        watch();
      });
    },
    signal(signal) {
      child.kill(signal);
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await ended;
    },
  };
}
