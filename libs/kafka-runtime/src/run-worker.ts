import type { ConsumerGroup, DomainEvent, EventOfGroup } from '@sc/event-schemas';
import type { VersionStamp, WorkerDescriptor } from '@sc/projection-core';
import type { Registry } from 'prom-client';
import { ConfigError, createLogger, handleShutdownSignals } from '@sc/service-kit';
import type { Logger } from '@sc/service-kit';
import { loadWorkerConfig } from './config';
import type { WorkerConfig } from './config';
import { createProjectionWorker } from './worker';
import type { SinkHandle } from './worker';

/**
 * A store as the runtime sees it: it owns its part of the environment (validated at
 * start with the runtime's, every bad variable named at once) and opens the sink.
 */
export interface SinkAdapter<TConfig, TEvent extends DomainEvent> {
  /** Throws a ConfigError naming each bad or missing variable of the store. */
  loadConfig(env: Readonly<Record<string, string | undefined>>): TConfig;
  /** Opens the store; retried with backoff while it fails retriably. */
  open(
    config: TConfig,
    context: { readonly app: string; readonly logger: Logger; readonly registry: Registry },
  ): Promise<SinkHandle<TEvent>>;
}

/** What a worker app's `main.ts` hands over: its descriptor and its store. */
export interface WorkerMainOptions<G extends ConsumerGroup, TDoc extends VersionStamp, TSinkConfig> {
  /** The worker, declared once (app, group, topics, projection, default port). */
  readonly worker: WorkerDescriptor<G, TDoc>;
  readonly sink: SinkAdapter<TSinkConfig, EventOfGroup<G>>;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The runtime's and the store adapter's configuration, or a ConfigError naming every problem of either. */
export function loadWorkerAndSinkConfig<TSinkConfig>(
  env: Readonly<Record<string, string | undefined>>,
  defaults: { app: string; httpPort: number },
  sink: Pick<SinkAdapter<TSinkConfig, never>, 'loadConfig'>,
): { config: WorkerConfig; sinkConfig: TSinkConfig } {
  const problems: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      problems.push(...error.problems);
      return undefined;
    }
  };
  const config = attempt(() => loadWorkerConfig(env, defaults));
  const sinkConfig = attempt(() => sink.loadConfig(env));
  if (config === undefined || sinkConfig === undefined) throw new ConfigError(problems);
  return { config, sinkConfig };
}

/**
 * The whole life of a worker process: validate the environment (exit 2 naming each
 * bad variable), log, start, stop gracefully on SIGTERM/SIGINT, and exit 1 on a
 * fatal error so the orchestrator restarts it.
 */
export function runProjectionWorkerMain<G extends ConsumerGroup, TDoc extends VersionStamp, TSinkConfig>(
  options: WorkerMainOptions<G, TDoc, TSinkConfig>,
): void {
  const { app, defaultPort, group, topics, projection } = options.worker;
  let config: WorkerConfig;
  let sinkConfig: TSinkConfig;
  try {
    ({ config, sinkConfig } = loadWorkerAndSinkConfig(
      options.env ?? process.env,
      { app, httpPort: defaultPort },
      options.sink,
    ));
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
    openSink: ({ registry }) => options.sink.open(sinkConfig, { app, logger, registry }),
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
