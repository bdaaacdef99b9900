import type { ConsumerGroup, EventOfGroup } from '@sc/event-schemas';
import type { VersionStamp, WorkerDescriptor } from '@sc/projection-core';
import { ConfigError, createLogger, handleShutdownSignals } from '@sc/service-kit';
import type { Logger } from '@sc/service-kit';
import { loadWorkerConfig } from './config';
import type { WorkerConfig } from './config';
import { createProjectionWorker } from './worker';
import type { SinkHandle } from './worker';

/** What a worker app's `main.ts` hands over: its descriptor and how to open its store. */
export interface WorkerMainOptions<G extends ConsumerGroup, TDoc extends VersionStamp> {
  /** The worker, declared once (app, group, topics, projection, default port). */
  readonly worker: WorkerDescriptor<G, TDoc>;
  readonly openSink: (context: {
    readonly config: WorkerConfig;
    readonly logger: Logger;
  }) => Promise<SinkHandle<EventOfGroup<G>>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The whole life of a worker process: validate the environment (exit 2 naming each
 * bad variable), log, start, stop gracefully on SIGTERM/SIGINT, and exit 1 on a
 * fatal error so the orchestrator restarts it.
 */
export function runProjectionWorkerMain<G extends ConsumerGroup, TDoc extends VersionStamp>(
  options: WorkerMainOptions<G, TDoc>,
): void {
  const { app, defaultPort, group, topics, projection } = options.worker;
  let config: WorkerConfig;
  try {
    config = loadWorkerConfig(options.env ?? process.env, { app, httpPort: defaultPort });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${app}: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ name: app, level: config.logLevel });
  const worker = createProjectionWorker({
    config,
    logger,
    projection: projection.name,
    group,
    topics,
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
