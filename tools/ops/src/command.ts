// What every command of the CLI is: a function from its parsed command line and the
// open connections to an exit status, a text and a machine-readable summary.
import { constants } from 'node:os';
import type { OpsCommand } from './args';
import type { OpsContext } from './context';
import type { ProgressReporter } from './progress';

/** What a command hands back: its exit status, its text, and its machine-readable summary. */
export interface CommandResult {
  /** 0: all good; 1: differences or failures found. */
  readonly exitCode: 0 | 1;
  readonly text: string;
  readonly summary: Readonly<Record<string, unknown>>;
}

/** What a command runs with. */
export interface CommandContext {
  readonly ops: OpsContext;
  readonly progress: ProgressReporter;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The CLI's stderr (stdout carries the result). */
  readonly stderr: { write(text: string): unknown };
  /**
   * Aborted, with the signal's name as its reason, when the process is asked to stop
   * (SIGTERM, SIGINT). A command that cleans up after itself stops at its next safe
   * point and throws {@link CommandInterrupted}; the others are cut off at once.
   */
  readonly interrupt: AbortSignal;
}

/** A command stopped because the process was asked to stop; what it had to undo is undone. */
export class CommandInterrupted extends Error {
  constructor(readonly signal: string) {
    super(`interrupted by ${signal}`);
    this.name = 'CommandInterrupted';
  }
}

/** Throws {@link CommandInterrupted} once `interrupt` is aborted. */
export function throwIfInterrupted(interrupt: AbortSignal | undefined): void {
  if (interrupt?.aborted) throw new CommandInterrupted(String(interrupt.reason));
}

/** The exit status of a process stopped by `signal`, as a shell reports it: 128 + its number (130 for SIGINT). */
export function interruptedExitCode(signal: string): number {
  return 128 + (constants.signals[signal as NodeJS.Signals] ?? constants.signals.SIGINT);
}

/** A command's implementation, for the commands of one name. */
export type CommandRunner<TName extends OpsCommand['name'] = OpsCommand['name']> = (
  command: Extract<OpsCommand, { readonly name: TName }>,
  context: CommandContext,
) => Promise<CommandResult>;

/** Settles as `running` does, or rejects with {@link CommandInterrupted} as soon as `interrupt` aborts. */
export function cutOffWhenInterrupted<T>(running: Promise<T>, interrupt: AbortSignal): Promise<T> {
  // Whatever it does after being cut off is of no interest.
  running.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const stop = () => reject(new CommandInterrupted(String(interrupt.reason)));
    if (interrupt.aborted) return stop();
    interrupt.addEventListener('abort', stop, { once: true });
    running.then(resolve, reject).finally(() => interrupt.removeEventListener('abort', stop));
  });
}
