import type { ProjectionDefinition, VersionStamp, VersionedEvent } from '@sc/projection-core';
import type { Logger } from '@sc/service-kit';
import { loadMongoStoreConfig } from './config';
import type { MongoStoreConfig } from './config';
import { openVersionedStore } from './open';

/**
 * The MongoDB store as a worker's sink adapter: it reads its own part of the
 * environment (`MONGO_*`, `STORE_*`) and opens the projection's store. The runtime
 * validates it with its own configuration at start and retries `open` while it
 * fails retriably.
 */
export function mongoSinkAdapter<TEvent extends VersionedEvent, TDoc extends VersionStamp>(
  projection: ProjectionDefinition<TEvent, TDoc>,
): {
  readonly loadConfig: typeof loadMongoStoreConfig;
  readonly open: (
    config: MongoStoreConfig,
    context: { readonly app: string; readonly logger: Logger },
  ) => ReturnType<typeof openVersionedStore<TEvent, TDoc>>;
} {
  return {
    loadConfig: loadMongoStoreConfig,
    open: (config, { app, logger }) =>
      openVersionedStore({
        url: config.url,
        database: config.database,
        appName: app,
        projection,
        logger,
        maxConflictRounds: config.maxConflictRounds,
        readConcern: config.readConcern,
        writeConcern: config.writeConcern,
      }),
  };
}
