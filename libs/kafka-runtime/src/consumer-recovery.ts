// kafkajs restarts a crashed consumer only when the crash's deepest cause is flagged retriable.
// Some broker trouble is not: with every broker down, `findGroupCoordinator` ends in
// KafkaJSGroupCoordinatorNotFound (a KafkaJSNonRetriableError; tulios/kafkajs#1630, #1445),
// and a commit that failed that way is thrown again before the next chunk. Left to kafkajs,
// such a consumer stays stopped for good. Broker trouble is infrastructure: it is retried here.
import { KafkaJSError } from 'kafkajs';
import { ProjectionError, backoffDelay, describeError, findCause, sleep } from '@sc/service-kit';
import type { BackoffPolicy, Logger } from '@sc/service-kit';
import type { Retrier } from './retrier';

/** The message of the log line of each restart the worker does itself (the fault suite counts them). */
export const CONSUMER_RESTART_MESSAGE =
  'consumer stopped on broker trouble kafkajs does not retry; the worker restarts it';

/**
 * True when a consumer crash is the broker's trouble, to be waited out: a retriable
 * {@link ProjectionError}, or any error with a kafkajs error in its cause chain. False
 * for anything else (a bug, a non-retriable error of ours): the process must not go on.
 */
export function isInfrastructureCrash(error: unknown): boolean {
  if (error instanceof ProjectionError) return error.retriable;
  return findCause(error, (cause) => cause instanceof KafkaJSError) !== undefined;
}

/** What a consumer crash leads to, and the restarts of a consumer kafkajs left stopped. */
export interface ConsumerRecovery {
  /** A crash kafkajs reported; `kafkajsRestarts`: kafkajs restarts the consumer itself. */
  crashed(error: unknown, kafkajsRestarts: boolean): void;
  /** The consumer joined its group: the crashes before are over, the next one backs off from the start. */
  joined(): void;
  /** True once a crash was not the broker's trouble: the process must end (liveness fails). */
  fatal(): boolean;
  /** One line while a restart is pending, for `/readyz`. */
  reasons(): string[];
  /** Resolves once no restart is in flight (a stopping worker waits for it before it disconnects). */
  idle(): Promise<void>;
}

/** Options of {@link createConsumerRecovery}. */
export interface ConsumerRecoveryOptions {
  /** Connects the stopped consumer and runs it again (its subscriptions are kept). */
  readonly restart: () => Promise<void>;
  /** Retries a restart that fails, while it fails. */
  readonly retrier: Retrier;
  /** The wait before a restart grows with the crashes since the last join. */
  readonly policy: BackoffPolicy;
  readonly logger: Logger;
  /** Aborted on shutdown: a pending restart is dropped. */
  readonly signal: AbortSignal;
  /** Called once, on the first crash that is not the broker's trouble. */
  readonly onFatal: (error: unknown) => void;
  /** Counts each restart the worker does itself (a metric). */
  readonly onRestart?: () => void;
}

/** Creates a {@link ConsumerRecovery}. */
export function createConsumerRecovery(options: ConsumerRecoveryOptions): ConsumerRecovery {
  const { logger, signal } = options;
  let crashesSinceJoin = 0;
  let fatal = false;
  /** The restarts in flight, and the latest crash they answer. */
  let pending: { cause: string; crashedAgain: boolean; done: Promise<void> } | undefined;

  const endFatally = (error: unknown): void => {
    if (fatal) return;
    fatal = true;
    options.onFatal(error);
  };

  /** Restarts until a restarted consumer no longer crashes while it starts (kafkajs reports a failed join as a crash). */
  async function restartUntilRunning(state: NonNullable<typeof pending>): Promise<void> {
    do {
      state.crashedAgain = false;
      crashesSinceJoin++;
      const delayMs = backoffDelay(crashesSinceJoin, options.policy);
      logger.warn({ cause: state.cause, delayMs, crashesSinceJoin }, CONSUMER_RESTART_MESSAGE);
      await sleep(delayMs, signal);
      if (signal.aborted) return;
      options.onRestart?.();
      const restarted = await options.retrier.run('restart the consumer', 'kafka', options.restart, {
        keepGoing: () => !signal.aborted,
      });
      if (restarted.status === 'stopped') return;
    } while (state.crashedAgain && !signal.aborted);
  }

  return {
    crashed(error, kafkajsRestarts) {
      const cause = describeError(error);
      if (kafkajsRestarts) {
        logger.warn({ cause }, 'consumer failed; kafkajs restarts it');
        return;
      }
      if (!isInfrastructureCrash(error)) {
        if (!fatal) logger.fatal({ cause }, 'consumer crashed on an error that is not the broker’s; the process ends');
        endFatally(error);
        return;
      }
      if (signal.aborted || fatal) return;
      if (pending !== undefined) {
        // The consumer a restart just ran crashed while it started: that restart goes round again.
        pending.cause = cause;
        pending.crashedAgain = true;
        return;
      }
      const state = { cause, crashedAgain: false, done: Promise.resolve() };
      pending = state;
      state.done = restartUntilRunning(state)
        .catch((restartError: unknown) => {
          // The retrier throws only what is not retriable, and the restart wraps every broker error as retriable.
          logger.fatal({ cause: describeError(restartError) }, 'consumer restart failed; the process ends');
          endFatally(restartError);
        })
        .finally(() => {
          pending = undefined;
        });
    },
    joined() {
      crashesSinceJoin = 0;
    },
    fatal: () => fatal,
    reasons: () => (pending === undefined ? [] : [`kafka: consumer restarting after a crash: ${pending.cause}`]),
    async idle() {
      await pending?.done;
    },
  };
}
