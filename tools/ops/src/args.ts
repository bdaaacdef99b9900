// The command line of the operator CLI, parsed without IO: what to do, to which
// projection, with which options. A bad command line is a UsageError (exit 2).
import { ConfigError } from '@sc/service-kit';
import { DEAD_LETTER_REASONS } from '@sc/event-schemas';
import type { DeadLetterReason } from '@sc/event-schemas';
import { WORKERS } from '@sc/read-models';
import type { AnyWorker } from '@sc/read-models';
import type { VerifyMode } from './verify';

/** The usage text, printed by `help` and after a usage error. */
export const USAGE = `usage: npm run ops -- <command> [projection] [options]      (the bundle: node main.js <command> …)

commands:
  status                      lag per partition, dead-letter depth, documents, newest updated_at of every projection
  verify <projection>         fold the projection's topics and compare with the live collection
                              [--show N] differences to print (default 10)
                              [--temporary-collection | --in-memory] where to fold (default: in memory up to
                              --max-memory-documents N live documents, 100000 by default; in a temporary
                              collection <collection>__verify_<timestamp> above, dropped at the end)
  dlq list <projection>       dead letters grouped by reason and event type, with counts and first/last time
  dlq show <projection>       dead letters with headers and decoded payloads
                              --reason R [--limit N] (default 20)
  dlq replay <projection>     apply selected dead letters again through the projection's decode and store
                              --reason R [--event-type T] [--since ISO-TIME] [--max-records N]
  rebuild <projection>        build the read model again into a shadow collection, then swap it in
                              [--dry-run] [--keep-old]
  help                        this text

projection: ${WORKERS.map((w) => w.projection.name).join(', ')} (or the worker's app name, or its consumer group)
options of every command: --json   one machine-readable summary line on stdout (progress goes to stderr)
exit codes: 0 ok, 1 differences or failures found, 2 usage or configuration error`;

/** A command line that cannot be run: wrong command, projection or option. Exit status 2. */
export class UsageError extends ConfigError {
  constructor(problem: string) {
    super([problem]);
    this.message = problem;
  }
}

/** Commands of the CLI. */
export type OpsCommand =
  | { readonly name: 'help' }
  | { readonly name: 'status' }
  | {
      readonly name: 'verify';
      readonly worker: AnyWorker;
      readonly show: number;
      readonly mode: VerifyMode;
      /** The threshold of the `auto` mode; the default when undefined. */
      readonly maxMemoryDocuments: number | undefined;
    }
  | { readonly name: 'dlq-list'; readonly worker: AnyWorker }
  | { readonly name: 'dlq-show'; readonly worker: AnyWorker; readonly reason: DeadLetterReason; readonly limit: number }
  | {
      readonly name: 'dlq-replay';
      readonly worker: AnyWorker;
      readonly selection: ReplaySelection;
      readonly maxRecords: number | undefined;
    }
  | { readonly name: 'rebuild'; readonly worker: AnyWorker; readonly dryRun: boolean; readonly keepOld: boolean };

/** Which dead letters a replay takes. */
export interface ReplaySelection {
  readonly reason: DeadLetterReason;
  readonly eventType: string | undefined;
  /** Only dead letters whose `x-failed-at` is at or after this time. */
  readonly since: Date | undefined;
}

/** A parsed command line. */
export interface ParsedArgs {
  readonly command: OpsCommand;
  readonly json: boolean;
}

const FLAGS = new Set(['--json', '--dry-run', '--keep-old', '--temporary-collection', '--in-memory']);
const VALUED = new Set([
  '--reason',
  '--event-type',
  '--since',
  '--limit',
  '--max-records',
  '--show',
  '--max-memory-documents',
]);

/** The worker of a projection name, app name or consumer group; a UsageError otherwise. */
export function findWorker(name: string | undefined): AnyWorker {
  if (name === undefined) throw new UsageError('a projection is required');
  const worker = WORKERS.find((w) => w.projection.name === name || w.app === name || w.group === name);
  if (!worker)
    throw new UsageError(`unknown projection "${name}": one of ${WORKERS.map((w) => w.projection.name).join(', ')}`);
  return worker;
}

function positiveInt(option: string, value: string | undefined, fallback: number): number;
function positiveInt(option: string, value: string | undefined, fallback: undefined): number | undefined;
function positiveInt(option: string, value: string | undefined, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${option} must be a whole number ≥ 1`);
  return Number(value);
}

/** Parses argv (without node and the script). Throws a {@link UsageError} on anything it does not know. */
export function parseOpsArgs(argv: readonly string[]): ParsedArgs {
  const positional: string[] = [];
  const flags = new Set<string>();
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (FLAGS.has(arg)) flags.add(arg);
    else if (VALUED.has(arg)) {
      const value = argv[++i];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      values.set(arg, value);
    } else if (arg === '-h' || arg === '--help') positional.unshift('help');
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else positional.push(arg);
  }
  const json = flags.has('--json');
  const [first, ...rest] = positional;
  const allow = (allowed: readonly string[]): void => {
    for (const given of [...flags, ...values.keys()])
      if (given !== '--json' && !allowed.includes(given))
        throw new UsageError(`${given} does not apply to ${first}${first === 'dlq' ? ` ${rest[0] ?? ''}` : ''}`);
  };
  const only = (count: number, args: readonly string[]): void => {
    if (args.length > count) throw new UsageError(`unexpected argument ${args[count]}`);
  };

  switch (first) {
    case undefined:
    case 'help':
      return { command: { name: 'help' }, json };
    case 'status':
      allow([]);
      only(0, rest);
      return { command: { name: 'status' }, json };
    case 'verify': {
      allow(['--show', '--temporary-collection', '--in-memory', '--max-memory-documents']);
      only(1, rest);
      const temporary = flags.has('--temporary-collection');
      const memory = flags.has('--in-memory');
      const threshold = values.get('--max-memory-documents');
      if (temporary && memory) throw new UsageError('--temporary-collection and --in-memory exclude each other');
      if ((temporary || memory) && threshold !== undefined)
        throw new UsageError(
          '--max-memory-documents chooses the mode by size: not with --temporary-collection or --in-memory',
        );
      return {
        command: {
          name: 'verify',
          worker: findWorker(rest[0]),
          show: positiveInt('--show', values.get('--show'), 10),
          mode: temporary ? 'collection' : memory ? 'memory' : 'auto',
          maxMemoryDocuments: positiveInt('--max-memory-documents', threshold, undefined),
        },
        json,
      };
    }
    case 'rebuild':
      allow(['--dry-run', '--keep-old']);
      only(1, rest);
      return {
        command: {
          name: 'rebuild',
          worker: findWorker(rest[0]),
          dryRun: flags.has('--dry-run'),
          keepOld: flags.has('--keep-old'),
        },
        json,
      };
    case 'dlq':
      return { command: parseDlq(rest, values, allow, only), json };
    default:
      throw new UsageError(`unknown command "${first}"`);
  }
}

function parseDlq(
  rest: readonly string[],
  values: ReadonlyMap<string, string>,
  allow: (allowed: readonly string[]) => void,
  only: (count: number, args: readonly string[]) => void,
): OpsCommand {
  const [sub, ...args] = rest;
  only(1, args);
  const reasonOf = (): DeadLetterReason => {
    const reason = values.get('--reason');
    if (reason === undefined) throw new UsageError(`dlq ${sub} needs --reason R`);
    const known = DEAD_LETTER_REASONS.find((r) => r === reason);
    if (known === undefined)
      throw new UsageError(`unknown reason "${reason}": one of ${DEAD_LETTER_REASONS.join(', ')}`);
    return known;
  };
  switch (sub) {
    case 'list':
      allow([]);
      return { name: 'dlq-list', worker: findWorker(args[0]) };
    case 'show':
      allow(['--reason', '--limit']);
      return {
        name: 'dlq-show',
        worker: findWorker(args[0]),
        reason: reasonOf(),
        limit: positiveInt('--limit', values.get('--limit'), 20),
      };
    case 'replay': {
      allow(['--reason', '--event-type', '--since', '--max-records']);
      const sinceText = values.get('--since');
      const since = sinceText === undefined ? undefined : new Date(sinceText);
      if (since !== undefined && Number.isNaN(since.getTime()))
        throw new UsageError(`--since must be an ISO time, e.g. 2026-11-28T06:00:00Z (got "${sinceText}")`);
      return {
        name: 'dlq-replay',
        worker: findWorker(args[0]),
        selection: { reason: reasonOf(), eventType: values.get('--event-type'), since },
        maxRecords: positiveInt('--max-records', values.get('--max-records'), undefined),
      };
    }
    default:
      throw new UsageError(`dlq needs list, show or replay${sub === undefined ? '' : ` (got "${sub}")`}`);
  }
}
