import type { DomainEvent } from '@sc/event-schemas';
import { ConfigError, createLogger, handleShutdownSignals } from '@sc/service-kit';
import type { Logger } from '@sc/service-kit';
import { loadWorkerConfig } from './config';
import type { WorkerConfig } from './config';
import { createProjectionWorker } from './worker';
import type { SinkHandle } from './worker';

/** What a worker app declares in its `main.ts`. */
export interface WorkerMainOptions<TEvent extends DomainEvent> {
  /** The app's name, e.g. `user-cards-worker`. */
  readonly app: string;
  /** The projection's name, a metric label (e.g. `user_cards`). */
  readonly projection: string;
  readonly defaultHttpPort: number;
  readonly group: string;
  readonly topics: readonly string[];
  readonly openSink: (context: {
    readonly config: WorkerConfig;
    readonly logger: Logger;
  }) => Promise<SinkHandle<TEvent>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The whole life of a worker process: validate the environment (exit 2 naming each
 * bad variable), log, start, stop gracefully on SIGTERM/SIGINT, and exit 1 on a
 * fatal error so the orchestrator restarts it.
 */
export function runProjectionWorkerMain<TEvent extends DomainEvent>(options: WorkerMainOptions<TEvent>): void {
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig(options.env ?? process.env, { app: options.app, httpPort: options.defaultHttpPort });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${options.app}: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ name: options.app, level: config.logLevel });
  const worker = createProjectionWorker({
    config,
    logger,
    projection: options.projection,
    group: options.group,
    topics: options.topics,
    openSink: () => options.openSink({ config, logger }),
    onFatal: () => {
      void worker.stop().finally(() => process.exit(1));
    },
  });
  handleShutdownSignals({ logger, graceMs: config.shutdownGraceMs, stop: () => worker.stop() });
  worker.start().catch((error: unknown) => {
    logger.fatal({ err: error }, 'worker could not start');
    void worker.stop().finally(() => process.exit(1));
  });
}
