// The CLI in one function, for `main.ts`, `local.ts` and the tests: parse, read the
// workers' configuration, run the command, print its text (or its JSON summary with
// --json), and return the exit status scripts can trust.
import { ConfigError, describeError } from '@sc/service-kit';
import { USAGE, UsageError, parseOpsArgs } from './args';
import type { OpsCommand } from './args';
import { loadOpsConfig, openOpsContext } from './context';
import type { OpsContext } from './context';
import { CommandInterrupted, cutOffWhenInterrupted, interruptedExitCode } from './command';
import type { CommandRunner } from './command';
import { createProgressReporter } from './progress';
import type { ProgressOutput } from './progress';
import { runDlqList, runDlqReplay, runDlqShow } from './dlq';
import { runRebuild } from './rebuild';
import { runStatus } from './status';
import { runVerify } from './verify';

/**
 * Exit statuses: 0 all good, 1 differences or failures found, 2 usage or configuration
 * error; a run stopped by a signal exits as a shell reports it (130 for SIGINT, 143 for SIGTERM).
 */
export const EXIT = { ok: 0, found: 1, usage: 2 } as const;

/** Where the CLI writes. */
export interface OpsIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: ProgressOutput;
}

/** Every command, by the name {@link parseOpsArgs} gives it (`help` needs no connection). */
const COMMANDS: { readonly [N in Exclude<OpsCommand['name'], 'help'>]?: CommandRunner<N> } = {
  status: runStatus,
  verify: runVerify,
  'dlq-list': runDlqList,
  'dlq-show': runDlqShow,
  'dlq-replay': runDlqReplay,
  rebuild: runRebuild,
};

/**
 * The commands that stop at a safe point and undo what they made when the process is
 * asked to stop (verify drops its temporary collection). The others are cut off at
 * once, as the signal's default would: a rebuild and a replay resume from any point.
 */
const CLEAN_UP_WHEN_INTERRUPTED: ReadonlySet<OpsCommand['name']> = new Set(['verify']);

/** How a process runs the CLI. */
export interface OpsRunOptions {
  /** Aborted, with the signal's name as reason, when the process is asked to stop. */
  readonly interrupt?: AbortSignal;
}

/**
 * Runs one command line. Never throws: usage and configuration errors print the
 * problem (and the usage) on stderr and give 2, failures give 1.
 */
export async function runOps(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: OpsIo,
  options: OpsRunOptions = {},
): Promise<number> {
  const interrupt = options.interrupt ?? new AbortController().signal;
  let parsed;
  try {
    parsed = parseOpsArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.stderr.write(`ops: ${error.message}\n\n${USAGE}\n`);
    return EXIT.usage;
  }
  const { command, json } = parsed;
  if (command.name === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  const runner = COMMANDS[command.name] as CommandRunner | undefined;
  if (runner === undefined) {
    io.stderr.write(`ops: ${command.name} is not available in this build\n`);
    return EXIT.usage;
  }
  let ops: OpsContext | undefined;
  try {
    const config = loadOpsConfig(env);
    ops = await openOpsContext(config, env);
    const progress = createProgressReporter(io.stderr, { quiet: env['OPS_PROGRESS'] === 'off' });
    const running = runner(command, { ops, progress, env, stderr: io.stderr, interrupt });
    const result = await (CLEAN_UP_WHEN_INTERRUPTED.has(command.name)
      ? running
      : cutOffWhenInterrupted(running, interrupt));
    progress.finish();
    io.stdout.write(
      json
        ? `${JSON.stringify({ command: command.name, exitCode: result.exitCode, ...result.summary })}\n`
        : `${result.text}\n`,
    );
    return result.exitCode;
  } catch (error) {
    if (error instanceof CommandInterrupted) {
      io.stderr.write(`ops: ${command.name} ${error.message}\n`);
      if (json)
        io.stdout.write(
          `${JSON.stringify({ command: command.name, exitCode: interruptedExitCode(error.signal), interrupted: error.signal })}\n`,
        );
      return interruptedExitCode(error.signal);
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`ops: ${error.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`ops: ${command.name} failed: ${describeError(error)}\n`);
    if (json)
      io.stdout.write(
        `${JSON.stringify({ command: command.name, exitCode: EXIT.found, error: describeError(error) })}\n`,
      );
    return EXIT.found;
  } finally {
    await ops?.close();
  }
}
