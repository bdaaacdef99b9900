// What every command of the CLI is: a function from its parsed command line and the
// open connections to an exit status, a text and a machine-readable summary.
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
}

/** A command's implementation, for the commands of one name. */
export type CommandRunner<TName extends OpsCommand['name'] = OpsCommand['name']> = (
  command: Extract<OpsCommand, { readonly name: TName }>,
  context: CommandContext,
) => Promise<CommandResult>;
