import { MongoClient } from 'mongodb';
import type { AnyBulkWriteOperation, Collection, Db, Document, MongoClientOptions, ReadConcernLevel, W } from 'mongodb';
import type { Logger } from '@sc/service-kit';
import { DUPLICATE_KEY, StoreError, documentCausedWriteErrors, toStoreError } from './errors';
import { foldEvents, groupByKey, isRejection } from '@sc/projection-core';
import type {
  ApplyOptions,
  ApplyResult,
  EventOutcome,
  IndexedRejection,
  ProjectionDefinition,
  ProjectionSink,
  SourcePosition,
  VersionStamp,
  VersionedEvent,
} from '@sc/projection-core';
import { ensureIndexes } from './indexes';
import { redactMongoUrl } from './redact';

/** Figures of one {@link VersionedStore.applyBatch} call: the sink's, and counts. */
export interface BatchResult extends ApplyResult {
  readonly applied: number;
  readonly stale: number;
  readonly rejected: number;
  /** Documents written. */
  readonly written: number;
}

/** A read model's documents, written with the version rule and optimistic concurrency: the MongoDB {@link ProjectionSink}. */
export interface VersionedStore<TEvent extends VersionedEvent, TDoc extends VersionStamp>
  extends ProjectionSink<TEvent> {
  readonly collection: Collection<Document>;
  /** Creates the declared indexes (idempotent). */
  ensureIndexes(): Promise<void>;
  /**
   * Folds a batch of events into their documents: one read, one unordered bulk write,
   * re-read and re-fold on lost races. Throws a {@link StoreError}.
   */
  applyBatch(events: readonly TEvent[], options?: ApplyOptions): Promise<BatchResult>;
  /** Reads one document by key (for tests and tools). */
  findByKey(key: Readonly<Record<string, string>>): Promise<TDoc | null>;
  /** Throws unless the server answers. */
  ping(): Promise<void>;
}

/** Options of {@link createVersionedStore}. */
export interface VersionedStoreOptions<TEvent extends VersionedEvent, TDoc extends VersionStamp> {
  readonly db: Db;
  readonly projection: ProjectionDefinition<TEvent, TDoc>;
  readonly logger: Logger;
  /** Re-read-and-re-fold rounds after lost races before giving up (retriable). Default 5. */
  readonly maxConflictRounds?: number;
  /**
   * Replace statements per `update` command. Default: no limit. FerretDB v1 on SQLite
   * holds a pooled connection per statement until the command ends and deadlocks
   * beyond its pool, so {@link openVersionedStore} lowers this there.
   */
  readonly maxUpdatesPerCommand?: number;
  /** Read concern of the reads that decide stale or applied. Default `majority`. */
  readonly readConcern?: ReadConcernLevel;
  /** Write concern of the writes. Default `majority`: a write a failover rolls back is never acknowledged. */
  readonly writeConcern?: W;
}

interface Group<TEvent, TDoc> {
  readonly key: Readonly<Record<string, string>>;
  readonly events: TEvent[];
  /** Indexes of the events in the batch. */
  readonly positions: number[];
  /** Where each of the group's events was read from, if known. */
  readonly sources: readonly (SourcePosition | undefined)[] | undefined;
  /** Planned write of the last round, to recognise it when re-reading. */
  planned?: { readonly document: TDoc; readonly readVersion: number | null };
  outcomes?: EventOutcome[];
}

const WITHOUT_ID = { _id: 0 } as const;

/** Creates the store of one projection over an open database. */
export function createVersionedStore<TEvent extends VersionedEvent, TDoc extends VersionStamp>(
  options: VersionedStoreOptions<TEvent, TDoc>,
): VersionedStore<TEvent, TDoc> {
  const { db, projection, logger } = options;
  const maxRounds = options.maxConflictRounds ?? 5;
  const maxUpdates = options.maxUpdatesPerCommand ?? Number.POSITIVE_INFINITY;
  const collection = db.collection<Document>(projection.collection, {
    readConcern: { level: options.readConcern ?? 'majority' },
    writeConcern: { w: options.writeConcern ?? 'majority' },
  });
  const [firstKeyField] = projection.keyFields;
  const context = { collection: projection.collection };

  /** The key of a document or of an event's key object, as one string (fields in declaration order). */
  const keyString = (source: Readonly<Record<string, unknown>>): string =>
    projection.keyFields.map((field) => String(source[field] ?? '')).join('\u0000');
  const keyFilter = (key: Readonly<Record<string, string>>): Record<string, string> =>
    Object.fromEntries(projection.keyFields.map((field) => [field, key[field] ?? '']));

  async function readDocuments(groups: Iterable<Group<TEvent, TDoc>>): Promise<Map<string, TDoc>> {
    const firstValues = [...new Set([...groups].map((g) => g.key[firstKeyField] ?? ''))];
    try {
      const docs = await collection
        .find(
          { [firstKeyField]: { $in: firstValues } },
          { projection: WITHOUT_ID, batchSize: Math.max(firstValues.length * 2, 101) },
        )
        .toArray();
      return new Map(docs.map((doc) => [keyString(doc), doc as unknown as TDoc]));
    } catch (error) {
      throw toStoreError(error, `find in ${projection.collection}`, context);
    }
  }

  /** Plans the write of each group from its current document; returns the groups to write. */
  function fold(groups: Iterable<Group<TEvent, TDoc>>, current: Map<string, TDoc>): Group<TEvent, TDoc>[] {
    const toWrite: Group<TEvent, TDoc>[] = [];
    for (const group of groups) {
      const existing = current.get(keyString(group.key)) ?? null;
      const result = foldEvents(projection, existing, group.events, group.sources);
      group.outcomes = result.outcomes;
      if (result.changed && result.document !== null) {
        group.planned = { document: result.document, readVersion: existing?.entity_version ?? null };
        toWrite.push(group);
      } else {
        delete group.planned;
      }
    }
    return toWrite;
  }

  /** One unordered bulk write per command: the inserts together, the replaces in slices of `maxUpdates`. */
  function planCommands(groups: readonly Group<TEvent, TDoc>[]): AnyBulkWriteOperation<Document>[][] {
    const inserts: AnyBulkWriteOperation<Document>[] = [];
    const replaces: AnyBulkWriteOperation<Document>[] = [];
    for (const group of groups) {
      const planned = group.planned!;
      // A shallow copy: the driver adds `_id` to inserted documents.
      const document = { ...planned.document } as Document;
      if (planned.readVersion === null) inserts.push({ insertOne: { document } });
      else
        replaces.push({
          replaceOne: {
            filter: { ...keyFilter(group.key), entity_version: planned.readVersion },
            replacement: document,
          },
        });
    }
    const commands = inserts.length > 0 ? [inserts] : [];
    const slice = Number.isFinite(maxUpdates) ? maxUpdates : replaces.length;
    for (let i = 0; i < replaces.length; i += slice) commands.push(replaces.slice(i, i + slice));
    return commands;
  }

  /** Writes the planned documents; `complete` is false when any guarded write lost a race. */
  async function write(groups: readonly Group<TEvent, TDoc>[]): Promise<{ complete: boolean; commands: number }> {
    const commands = planCommands(groups);
    let acknowledged = 0;
    let lostRace = false;
    for (const operations of commands) {
      try {
        const result = await collection.bulkWrite(operations, { ordered: false });
        acknowledged += result.insertedCount + result.matchedCount;
      } catch (error) {
        // Only write errors of single documents are handled here; anything else is the store's trouble.
        const writeErrors = documentCausedWriteErrors(error);
        if (writeErrors === undefined) throw toStoreError(error, `bulkWrite to ${projection.collection}`, context);
        const refused = writeErrors.find((e) => e.code !== DUPLICATE_KEY);
        if (refused === undefined) {
          // Lost insert races only: the version guard makes a re-read and re-fold safe.
          lostRace = true;
          continue;
        }
        throw new StoreError(
          'STORE_REJECTED',
          `bulk write to ${projection.collection} refused a document: ${refused.errmsg} (code ${refused.code})`,
          { retriable: false, cause: error, context: { ...context, mongoCode: refused.code } },
        );
      }
    }
    return { complete: !lostRace && acknowledged === groups.length, commands: commands.length };
  }

  /** The rejections of the groups' latest folds, by index in the batch. */
  function rejectionsOf(groups: readonly Group<TEvent, TDoc>[]): IndexedRejection[] {
    const rejected: IndexedRejection[] = [];
    for (const group of groups)
      group.outcomes?.forEach((outcome, i) => {
        if (isRejection(outcome)) rejected.push({ index: group.positions[i]!, rejection: outcome });
      });
    return rejected;
  }

  return {
    collection,

    ensureIndexes: () => ensureIndexes(collection, projection.indexes, logger),

    async applyBatch(events, applyOptions = {}) {
      const { positions, beforeWrite } = applyOptions;
      const grouped = groupByKey(events, (event) => keyString(projection.keyOf(event)));
      const groups: Group<TEvent, TDoc>[] = [...grouped.values()].map((g) => ({
        key: projection.keyOf(g.events[0]!),
        events: g.events,
        positions: g.positions,
        sources: positions && g.positions.map((i) => positions[i]),
      }));
      let commands = 0;
      let conflicts = 0;
      let written = 0;
      let pending: Group<TEvent, TDoc>[] = groups;

      for (let round = 0; pending.length > 0; round++) {
        if (round > maxRounds) {
          throw new StoreError(
            'STORE_CONFLICT',
            `${pending.length} documents of ${projection.collection} kept changing under concurrent writers after ${maxRounds} re-reads`,
            {
              retriable: true,
              context: { ...context, documents: pending.length },
            },
          );
        }
        const current = await readDocuments(pending);
        commands++;
        if (round > 0) {
          // Writes of the last round that went through show up as the version we planned.
          pending = pending.filter((group) => {
            const doc = current.get(keyString(group.key));
            const planned = group.planned!;
            const landed =
              doc !== undefined &&
              doc.entity_version === planned.document.entity_version &&
              doc.last_event_id === planned.document.last_event_id;
            if (landed) written++;
            return !landed;
          });
          conflicts += pending.length;
        }
        const toWrite = fold(pending, current);
        if (toWrite.length === 0) break;
        await beforeWrite?.(rejectionsOf(groups));
        const result = await write(toWrite);
        commands += result.commands;
        if (result.complete) {
          written += toWrite.length;
          break;
        }
        pending = toWrite;
        logger.debug(
          { collection: projection.collection, round, documents: toWrite.length },
          'guarded writes lost races; re-reading',
        );
      }

      const outcomes: EventOutcome[] = new Array(events.length);
      let applied = 0;
      let stale = 0;
      let rejected = 0;
      for (const group of groups) {
        group.outcomes!.forEach((outcome, i) => {
          outcomes[group.positions[i]!] = outcome;
          if (outcome === 'applied') applied++;
          else if (outcome === 'stale') stale++;
          else rejected++;
        });
      }
      return { outcomes, applied, stale, rejected, conflicts, commands, written };
    },

    async findByKey(key) {
      try {
        return (await collection.findOne(keyFilter(key), { projection: WITHOUT_ID })) as TDoc | null;
      } catch (error) {
        throw toStoreError(error, `findOne in ${projection.collection}`, context);
      }
    },

    async ping() {
      try {
        await db.command({ ping: 1 });
      } catch (error) {
        throw toStoreError(error, 'ping', context);
      }
    },
  };
}

/** Options of {@link connectMongo}. */
export interface MongoConnectionOptions {
  readonly url: string;
  readonly database: string;
  readonly appName: string;
  /** How long an operation waits for a reachable server before failing (retriably). Default 5 s. */
  readonly serverSelectionTimeoutMs?: number;
  readonly clientOptions?: MongoClientOptions;
}

/** Connects to MongoDB; the client fails fast when the server is unreachable, so outages surface as retriable errors. */
export async function connectMongo(options: MongoConnectionOptions): Promise<{ client: MongoClient; db: Db }> {
  const client = new MongoClient(options.url, {
    appName: options.appName,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? 5000,
    connectTimeoutMS: 5000,
    socketTimeoutMS: 30000,
    // The store retries whole batches itself, guarded by versions.
    retryWrites: false,
    ...options.clientOptions,
  });
  try {
    await client.connect();
  } catch (error) {
    await client.close().catch(() => undefined);
    throw toStoreError(error, 'connect', { url: redactMongoUrl(options.url) });
  }
  return { client, db: client.db(options.database) };
}

/** Options of {@link openVersionedStore}. */
export interface OpenVersionedStoreOptions<TEvent extends VersionedEvent, TDoc extends VersionStamp>
  extends MongoConnectionOptions {
  readonly projection: ProjectionDefinition<TEvent, TDoc>;
  readonly logger: Logger;
  readonly maxConflictRounds?: number;
  /** See {@link VersionedStoreOptions.maxUpdatesPerCommand}; default: unlimited, or 40 on FerretDB. */
  readonly maxUpdatesPerCommand?: number;
  readonly readConcern?: ReadConcernLevel;
  readonly writeConcern?: W;
}

/** Replace statements per command on FerretDB v1: with its pool of 600 connections (local-infra), room for ~9 concurrent writers. */
export const FERRETDB_MAX_UPDATES_PER_COMMAND = 40;

/** Which server answers: MongoDB, or FerretDB speaking its protocol. */
export async function describeServer(db: Db): Promise<{ readonly ferretdb: boolean; readonly version: string }> {
  try {
    const info = await db.admin().command({ buildInfo: 1 });
    return { ferretdb: 'ferretdbVersion' in info, version: String(info['version']) };
  } catch (error) {
    throw toStoreError(error, 'buildInfo', {});
  }
}

/**
 * Connects, creates the projection's indexes and returns its store (which is also
 * the runtime's sink) with a `close` that releases the connection.
 */
export async function openVersionedStore<TEvent extends VersionedEvent, TDoc extends VersionStamp>(
  options: OpenVersionedStoreOptions<TEvent, TDoc>,
): Promise<{ readonly sink: VersionedStore<TEvent, TDoc>; readonly close: () => Promise<void> }> {
  const { client, db } = await connectMongo(options);
  try {
    const server = await describeServer(db);
    const maxUpdatesPerCommand =
      options.maxUpdatesPerCommand ?? (server.ferretdb ? FERRETDB_MAX_UPDATES_PER_COMMAND : undefined);
    const store = createVersionedStore({
      db,
      projection: options.projection,
      logger: options.logger,
      ...(options.maxConflictRounds === undefined ? {} : { maxConflictRounds: options.maxConflictRounds }),
      ...(maxUpdatesPerCommand === undefined ? {} : { maxUpdatesPerCommand }),
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
      },
      'store ready',
    );
    return { sink: store, close: () => client.close() };
  } catch (error) {
    await client.close().catch(() => undefined);
    throw error;
  }
}
