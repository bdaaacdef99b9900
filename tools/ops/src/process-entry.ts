// The CLI as a process (the bundle's main.ts and `npm run ops`): runs one command line,
// turns SIGTERM and SIGINT into an interrupt the command can stop at, and exits with
// the command's status.
import { runOps } from './cli';
import { interruptedExitCode } from './command';

const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

/**
 * Runs `ops <argv>` and exits. The first SIGTERM or SIGINT interrupts the command
 * (a verify then drops its temporary collection before it exits); a second one
 * exits at once, as the signal's default would.
 */
export function runOpsProcess(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): void {
  const interrupt = new AbortController();
  const stop = (signal: NodeJS.Signals): void => {
    if (interrupt.signal.aborted) process.exit(interruptedExitCode(signal));
    process.stderr.write(`ops: ${signal} received, stopping (again to stop at once)\n`);
    interrupt.abort(signal);
  };
  for (const signal of STOP_SIGNALS) process.on(signal, stop);
  runOps(argv, env, { stdout: process.stdout, stderr: process.stderr }, { interrupt: interrupt.signal }).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`ops: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
