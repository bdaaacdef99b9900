import type { ReadConcernLevel, W } from 'mongodb';
import type { ProjectionDefinition, VersionStamp, VersionedEvent } from '@sc/projection-core';
import type { Logger } from '@sc/service-kit';
import { openVersionedStore } from './open';

/** What a worker's validated configuration tells the store. */
export interface StoreSettings {
  readonly app: string;
  readonly mongo: {
    readonly url: string;
    readonly database: string;
    readonly readConcern: ReadConcernLevel;
    readonly writeConcern: W;
  };
  readonly processing: { readonly maxConflictRounds: number };
}

/**
 * How a worker opens its read model's store: given to the runtime as `openSink`,
 * called (and retried) at start with the worker's configuration.
 */
export function mongoSinkOpener<TEvent extends VersionedEvent, TDoc extends VersionStamp>(
  projection: ProjectionDefinition<TEvent, TDoc>,
): (context: {
  readonly config: StoreSettings;
  readonly logger: Logger;
}) => ReturnType<typeof openVersionedStore<TEvent, TDoc>> {
  return ({ config, logger }) =>
    openVersionedStore({
      url: config.mongo.url,
      database: config.mongo.database,
      appName: config.app,
      projection,
      logger,
      maxConflictRounds: config.processing.maxConflictRounds,
      readConcern: config.mongo.readConcern,
      writeConcern: config.mongo.writeConcern,
    });
}
