// Runs the CLI in process as a script would: its exit status, stdout and stderr.
import { runOps } from '../src/cli';

/** What one CLI run printed and returned. */
export interface OpsRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The `--json` summary (the last stdout line), when there is one. */
  readonly json: Record<string, unknown>;
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
  const last = stdout.trim().split('\n').pop() ?? '';
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(last) as Record<string, unknown>;
  } catch {
    // not a --json run
  }
  return { code, stdout, stderr, json };
}
