import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** A worker bundle running as a child process, as it runs in a container. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Every JSON log line so far. */
  readonly logs: Record<string, unknown>[];
  /** The probe/metrics port, once the worker logged it (the numeric `port` field of its log lines). */
  port(): Promise<number>;
  /** GETs a probe path: status and body. */
  get(path: string): Promise<{ status: number; body: string }>;
  /** Resolves with the exit code (or signal name) when the process ends. */
  readonly exited: Promise<number | string>;
  /** Sends a signal; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

const repoRoot = resolve(__dirname, '../../..');

/** The built bundle of an app: `dist/apps/<app>/main.js` (the e2e targets depend on `build`). */
export function bundlePath(app: string): string {
  return resolve(repoRoot, 'dist', 'apps', app, 'main.js');
}

/** A TCP port a server listens on: an integer in 1..65535 (never 0, which asks for any). */
function isPortNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 65_535;
}

/**
 * Starts `node [nodeArgs] <bundle>` with the given environment on top of KAFKA_BROKERS
 * and MONGO_URL (`nodeArgs`: e.g. `--cpu-prof`, which NODE_OPTIONS does not accept).
 */
export function startWorkerProcess(
  app: string,
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): WorkerProcess {
  const child = spawn(process.execPath, [...nodeArgs, bundlePath(app)], {
    env: {
      PATH: process.env['PATH'] ?? '',
      KAFKA_BROKERS: process.env['KAFKA_BROKERS'] ?? '',
      MONGO_URL: process.env['MONGO_URL'] ?? '',
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      RETRY_MAX_MS: '2000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exited = new Promise<number | string>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit(code ?? signal ?? 'unknown'));
  });

  const port = async (): Promise<number> => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      // The probe server's line is the one log line with a port number, whatever its message says.
      const found = logs.map((l) => l['port']).find(isPortNumber);
      if (found !== undefined) return found;
      if (child.exitCode !== null) throw new Error(`${app} exited (${child.exitCode}) before listening: ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${app} did not report its probe port; stderr: ${stderr}`);
  };

  return {
    child,
    logs,
    port,
    exited,
    async get(path) {
      const response = await fetch(`http://127.0.0.1:${await port()}${path}`);
      return { status: response.status, body: await response.text() };
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
