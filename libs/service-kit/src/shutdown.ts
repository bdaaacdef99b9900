import type { Logger } from 'pino';

/** Options of {@link handleShutdownSignals}. */
export interface ShutdownOptions {
  readonly logger: Logger;
  /** How long a graceful stop may take before the process exits anyway (non-zero). */
  readonly graceMs: number;
  /** Finishes in-flight work and releases connections. */
  readonly stop: () => Promise<void>;
  /** Injected for tests; defaults to `process.exit`. */
  readonly exit?: (code: number) => void;
  readonly signals?: readonly NodeJS.Signals[];
}

/**
 * On the first SIGTERM/SIGINT: run `stop` and exit 0, or exit 1 if it fails or
 * outlasts the grace period. On a second signal: exit at once (130), for the
 * operator who does not want to wait.
 */
export function handleShutdownSignals(options: ShutdownOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let stopping = false;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      options.logger.warn({ signal }, 'second signal: exiting now without finishing');
      exit(130);
      return;
    }
    stopping = true;
    options.logger.info({ signal, graceMs: options.graceMs }, 'stopping: finishing the batch in flight');
    const timer = setTimeout(() => {
      options.logger.error({ graceMs: options.graceMs }, 'graceful stop outlasted the grace period; exiting');
      exit(1);
    }, options.graceMs);
    timer.unref();
    options.stop().then(
      () => {
        clearTimeout(timer);
        options.logger.info('stopped cleanly');
        exit(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        options.logger.error({ err: error }, 'graceful stop failed');
        exit(1);
      },
    );
  };

  for (const signal of signals) process.on(signal, onSignal);
  return () => {
    for (const signal of signals) process.off(signal, onSignal);
  };
}
