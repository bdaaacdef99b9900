import { ProjectionError, backoffDelay, describeError, isRetriable, sleep } from '@sc/service-kit';
import type { BackoffPolicy, Logger } from '@sc/service-kit';

/** The end of {@link Retrier.run}: the value, or an explicit "told to stop" (shutdown, partition revoked). */
export type Attempted<T> =
  | { readonly status: 'done'; readonly value: T; readonly attempts: number }
  | { readonly status: 'stopped' };

/** Options of one {@link Retrier.run}. */
export interface RunOptions {
  /** Checked after every wait: false ends the run as `stopped`. Default: until the retrier's signal aborts. */
  readonly keepGoing?: () => boolean;
}

/**
 * Runs infrastructure operations until they succeed: retriable errors wait with
 * backoff, and so do errors that {@link RetrierOptions.holdsOn} names (permanent
 * refusals an operator must fix: nothing may be skipped meanwhile); any other error
 * is thrown. While an operation fails it is one of {@link Retrier.reasons}.
 */
export interface Retrier {
  run<T>(operation: string, key: string, fn: () => Promise<T>, options?: RunOptions): Promise<Attempted<T>>;
  /** One line per operation that is failing now, for `/readyz`. */
  reasons(): string[];
}

/** Options of {@link createRetrier}. */
export interface RetrierOptions {
  readonly policy: BackoffPolicy;
  readonly logger: Logger;
  /** Aborted on shutdown: waits end at once and runs return `stopped`. */
  readonly signal: AbortSignal;
  /** Counts each retry (a metric). */
  readonly onRetry?: (operation: string) => void;
  /**
   * For a non-retriable error: what an operator must do, when the operation must be
   * held (retried at the slowest pace) rather than given up. Undefined: thrown.
   */
  readonly holdsOn?: (error: unknown) => string | undefined;
}

/** Creates a {@link Retrier}. */
export function createRetrier(options: RetrierOptions): Retrier {
  const { policy, logger, signal } = options;
  const failing = new Map<string, string>();

  async function run<T>(
    operation: string,
    key: string,
    fn: () => Promise<T>,
    runOptions: RunOptions = {},
  ): Promise<Attempted<T>> {
    const keepGoing = runOptions.keepGoing ?? (() => true);
    const slot = `${key}: ${operation}`;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const value = await fn();
          if (attempt > 1) logger.info({ operation, key, attempts: attempt }, `${operation}: recovered`);
          return { status: 'done', value, attempts: attempt };
        } catch (error) {
          const action = isRetriable(error) ? undefined : options.holdsOn?.(error);
          if (!isRetriable(error) && action === undefined) throw error;
          const delayMs = action === undefined ? backoffDelay(attempt, policy) : policy.maxMs;
          const located = error instanceof ProjectionError ? { code: error.code, context: error.context } : {};
          const cause = describeError(error);
          if (action === undefined) {
            failing.set(slot, `${key}: ${operation} failing (attempt ${attempt}): ${cause}`);
            logger.warn({ operation, key, attempt, delayMs, ...located, cause }, `${operation} failed; retrying`);
          } else {
            failing.set(slot, `${key}: ${operation} blocked: ${action}`);
            logger.error(
              { operation, key, attempt, delayMs, ...located, cause, action },
              `${operation} refused; the partition waits until an operator acts`,
            );
          }
          options.onRetry?.(operation);
          await sleep(delayMs, signal);
          if (signal.aborted || !keepGoing()) return { status: 'stopped' };
        }
      }
    } finally {
      // Whatever ends the run (success, stop, a thrown error), it no longer holds readiness back.
      failing.delete(slot);
    }
  }

  return { run, reasons: () => [...failing.values()] };
}
