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
 * The one error type the workers throw on purpose. Callers decide what to do from
 * `retriable` and `code`, never from the message text.
 */
export class ProjectionError extends Error {
  /** Stable, documented, SCREAMING_SNAKE code, e.g. `STORE_UNAVAILABLE`. */
  readonly code: string;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(code: string, message: string, options: ProjectionErrorOptions) {
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
