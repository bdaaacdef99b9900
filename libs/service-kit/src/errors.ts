/** Where an error happened, as far as it is known: enough to find the record again. */
export interface ErrorContext {
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
  readonly eventId?: string;
  readonly [key: string]: unknown;
}

/** Options of every {@link ProjectionError}. */
export interface ProjectionErrorOptions {
  /** True when trying the same operation again later may succeed (network, timeouts, failover). */
  readonly retriable: boolean;
  readonly cause?: unknown;
  readonly context?: ErrorContext;
}

/**
 * Every code a {@link ProjectionError} can carry, across the libs: a closed set, so
 * callers can switch on it exhaustively (as the MongoDB driver's MONGODB_ERROR_CODES).
 */
export const ERROR_CODES = {
  /** A setting is missing or malformed; the process cannot start. Not retriable. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** The store cannot be reached, timed out, or failed for a reason not proven permanent. Retriable. */
  STORE_UNAVAILABLE: 'STORE_UNAVAILABLE',
  /** Guarded writes kept losing races beyond the bound. Retriable. */
  STORE_CONFLICT: 'STORE_CONFLICT',
  /** The store refused a document for a reason retrying will not fix (one event is at fault). */
  STORE_REJECTED: 'STORE_REJECTED',
  /** A declared index conflicts with one that exists. Not retriable. */
  INDEX_CONFLICT: 'INDEX_CONFLICT',
  /** The broker failed or is unreachable. Retriable. */
  KAFKA_UNAVAILABLE: 'KAFKA_UNAVAILABLE',
  /** The dead-letter topic refuses records until an operator acts; the partition waits. */
  DEAD_LETTER_REFUSED: 'DEAD_LETTER_REFUSED',
  /** A sink failed with an error it did not classify: retried (unknown means retriable). */
  SINK_FAILED: 'SINK_FAILED',
  /** An operator command refused to start: another one holds its lock (e.g. a rebuild). Not retriable. */
  OPERATION_REFUSED: 'OPERATION_REFUSED',
  /**
   * An operator command gave up waiting for the workers (e.g. a rebuild's pause request
   * not acknowledged by every member of the live group in time) and changed nothing.
   * Retriable: running it again may find them ready.
   */
  OPERATION_TIMED_OUT: 'OPERATION_TIMED_OUT',
} as const;

/** One of {@link ERROR_CODES}. */
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/**
 * The one error type the workers throw on purpose. Callers decide what to do from
 * `retriable` and `code`, never from the message text.
 */
export class ProjectionError extends Error {
  /** Stable, documented code from {@link ERROR_CODES}, e.g. `STORE_UNAVAILABLE`. */
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: ProjectionErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable;
    this.context = options.context ?? {};
  }

  /** A copy of this error with more context (e.g. the partition once the runtime knows it). */
  withContext(context: ErrorContext): this {
    // Copies every own property (message, cause and stack are not enumerable) into the same subclass.
    const descriptors = Object.getOwnPropertyDescriptors(this);
    return Object.create(Object.getPrototypeOf(this) as object, {
      ...descriptors,
      context: { ...descriptors.context, value: { ...this.context, ...context } },
    }) as this;
  }
}

/** A required setting is missing or malformed; the process cannot start. */
export class ConfigError extends ProjectionError {
  /** One line per offending variable: `NAME: problem`. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`, { retriable: false });
    this.problems = problems;
  }
}

/** True for errors that say "try again later": a {@link ProjectionError} with `retriable` set. */
export function isRetriable(error: unknown): boolean {
  return error instanceof ProjectionError && error.retriable;
}

/**
 * The first error of `error`'s cause chain (itself first, then `cause` after `cause`, at
 * most `maxDepth` of them) that `matches`; undefined when none does. The bound ends a
 * chain that loops.
 */
export function findCause(error: unknown, matches: (cause: Error) => boolean, maxDepth = 8): Error | undefined {
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < maxDepth; depth++) {
    if (matches(current)) return current;
    current = current.cause;
  }
  return undefined;
}

/** A short, single-line description of any thrown value, with its cause chain. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 4; depth++) {
    if (current instanceof Error) {
      const code = current instanceof ProjectionError ? `[${current.code}] ` : '';
      parts.push(`${code}${current.name}: ${current.message}`);
      current = current.cause;
    } else {
      parts.push(String(current));
      current = undefined;
    }
  }
  return parts.join(' <- ').replace(/\s+/g, ' ');
}
