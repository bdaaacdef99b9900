// The composition of connection and store that a worker calls: one function that
// leaves either a ready store or nothing open behind.
import type { Db, ReadConcernLevel, W } from 'mongodb';
import type { Logger } from '@sc/service-kit';
import type { ProjectionDefinition, VersionStamp, VersionedEvent } from '@sc/projection-core';
import { FERRETDB_MAX_UPDATES_PER_COMMAND, connectMongo, describeServer } from './connection';
import type { MongoConnectionOptions } from './connection';
import { redactMongoUrl } from './redact';
import { createVersionedStore } from './store';
import type { KeyLookup, VersionedStore, VersionedStoreOptions } from './store';

/** Options of {@link openVersionedStore}. */
export interface OpenVersionedStoreOptions<TEvent extends VersionedEvent, TDoc extends VersionStamp>
  extends MongoConnectionOptions {
  readonly projection: ProjectionDefinition<TEvent, TDoc>;
  readonly logger: Logger;
  readonly maxConflictRounds?: number;
  /** See {@link VersionedStoreOptions.cachedDocuments}. */
  readonly cachedDocuments?: number;
  /** See {@link VersionedStoreOptions.maxUpdatesPerCommand}; default: unlimited, or 40 on FerretDB. */
  readonly maxUpdatesPerCommand?: VersionedStoreOptions<TEvent, TDoc>['maxUpdatesPerCommand'];
  /** See {@link VersionedStoreOptions.keyLookup}; default: `batched`, or `per-key` on FerretDB. */
  readonly keyLookup?: KeyLookup;
  readonly readConcern?: ReadConcernLevel;
  readonly writeConcern?: W;
}

/**
 * Connects, creates the projection's indexes and returns its store (which is also
 * the runtime's sink) with a `close` that releases the connection. On FerretDB the
 * replaces go {@link FERRETDB_MAX_UPDATES_PER_COMMAND} to a command unless said
 * otherwise. Any failure closes the client before it is thrown.
 */
export async function openVersionedStore<TEvent extends VersionedEvent, TDoc extends VersionStamp>(
  options: OpenVersionedStoreOptions<TEvent, TDoc>,
): Promise<{
  readonly sink: VersionedStore<TEvent, TDoc>;
  /** The store's database, for what shares its connection (the pause gate). */
  readonly db: Db;
  readonly close: () => Promise<void>;
}> {
  const { client, db } = await connectMongo(options);
  try {
    const server = await describeServer(db);
    const maxUpdatesPerCommand =
      options.maxUpdatesPerCommand ?? (server.ferretdb ? FERRETDB_MAX_UPDATES_PER_COMMAND : undefined);
    const keyLookup = options.keyLookup ?? (server.ferretdb ? 'per-key' : 'batched');
    const store = createVersionedStore({
      db,
      projection: options.projection,
      logger: options.logger,
      ...(options.maxConflictRounds === undefined ? {} : { maxConflictRounds: options.maxConflictRounds }),
      ...(options.cachedDocuments === undefined ? {} : { cachedDocuments: options.cachedDocuments }),
      ...(maxUpdatesPerCommand === undefined ? {} : { maxUpdatesPerCommand }),
      keyLookup,
      ...(options.readConcern === undefined ? {} : { readConcern: options.readConcern }),
      ...(options.writeConcern === undefined ? {} : { writeConcern: options.writeConcern }),
    });
    await store.ensureIndexes();
    options.logger.info(
      {
        url: redactMongoUrl(options.url),
        database: options.database,
        collection: options.projection.collection,
        server: `${server.ferretdb ? 'FerretDB (MongoDB-compatible)' : 'MongoDB'} ${server.version}`,
        maxUpdatesPerCommand: maxUpdatesPerCommand ?? 'unlimited',
        keyLookup,
      },
      'store ready',
    );
    return { sink: store, db, close: () => client.close() };
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
}
