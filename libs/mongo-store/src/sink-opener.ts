import type { Registry } from 'prom-client';
import type { ProjectionDefinition, ProjectionSink, VersionStamp, VersionedEvent } from '@sc/projection-core';
import type { Logger } from '@sc/service-kit';
import { loadMongoStoreConfig } from './config';
import type { MongoStoreConfig } from './config';
import { createStoreMetrics } from './metrics';
import type { StoreMetrics } from './metrics';
import { openVersionedStore } from './open';
import { openMongoPauseGate } from './pause-gate';
import type { MongoPauseGate } from './pause-gate';

/**
 * The MongoDB store as a worker's sink adapter: it reads its own part of the
 * environment (`MONGO_*`, `STORE_*`), opens the projection's store and counts its
 * commands and lost races in metrics of its own. The runtime
 * validates it with its own configuration at start and retries `open` while it
 * fails retriably. The handle carries the pause gate of the projection's collection
 * (./pause-gate) on the same connection, and a sink `reset` that forgets the store's
 * cached documents when the runtime resumes after a pause.
 */
export function mongoSinkAdapter<TEvent extends VersionedEvent, TDoc extends VersionStamp>(
  projection: ProjectionDefinition<TEvent, TDoc>,
): {
  readonly loadConfig: typeof loadMongoStoreConfig;
  readonly open: (
    config: MongoStoreConfig,
    context: { readonly app: string; readonly logger: Logger; readonly registry: Registry },
  ) => Promise<{
    readonly sink: ProjectionSink<TEvent>;
    readonly close: () => Promise<void>;
    readonly gate: MongoPauseGate;
  }>;
} {
  // Registered once, however often opening is retried.
  let metrics: StoreMetrics | undefined;
  return {
    loadConfig: loadMongoStoreConfig,
    async open(config, { app, logger, registry }) {
      metrics ??= createStoreMetrics(registry);
      const counted = metrics;
      const opened = await openVersionedStore({
        url: config.url,
        database: config.database,
        appName: app,
        projection,
        logger,
        maxConflictRounds: config.maxConflictRounds,
        cachedDocuments: config.cachedDocuments,
        readConcern: config.readConcern,
        writeConcern: config.writeConcern,
      });
      let gate: MongoPauseGate;
      try {
        gate = await openMongoPauseGate({ db: opened.db, collection: projection.collection, logger });
      } catch (error) {
        await opened.close().catch(() => undefined);
        throw error;
      }
      return {
        gate,
        sink: {
          async applyBatch(events, options) {
            const result = await opened.sink.applyBatch(events, options);
            counted.commands.inc(result.commands);
            counted.conflicts.inc(result.conflicts);
            return result;
          },
          ping: () => opened.sink.ping(),
          reset: () => opened.sink.reset(),
        },
        close: async () => {
          gate.close();
          await opened.close();
        },
      };
    },
  };
}
