// The apply loop of the MongoDB sink: plan on what it holds or guesses (reading only
// what it must) → beforeWrite → guarded write, and re-read on lost races. What to write is decided in ./plan (pure); connecting is ./connection,
// and ./open puts the two together for a worker.
import type { Collection, Db, Document, ReadConcernLevel, W } from 'mongodb';
import type { Logger } from '@sc/service-kit';
import { isRejection } from '@sc/projection-core';
import type {
  ApplyOptions,
  ApplyResult,
  FoldResult,
  ProjectionDefinition,
  ProjectionSink,
  VersionStamp,
  VersionedEvent,
} from '@sc/projection-core';
import { DUPLICATE_KEY, StoreError, documentCausedWriteErrors, driverDocumentSizeLimit, toStoreError } from './errors';
import { DocumentCache } from './document-cache';
import { ensureIndexes } from './indexes';
import {
  MAX_BSON_OBJECT_SIZE,
  batchOutcomes,
  documentBytes,
  documentBytesBound,
  findOversizedWrite,
  groupEvents,
  hasLanded,
  keyFilter,
  keyString,
  operationOf,
  planCommands,
  planRound,
  rejectionsOf,
  statementBytes,
} from './plan';
import type { EventGroup, PlannedWrite, RoundPlan } from './plan';

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
   * Folds a batch of events into their documents: at most one read (only of what it
   * cannot guess), unordered guarded bulk writes, re-read and re-fold on lost races.
   * Throws a {@link StoreError}.
   */
  applyBatch(events: readonly TEvent[], options?: ApplyOptions): Promise<BatchResult>;
  /** Reads one document by key (for tests and tools). */
  findByKey(key: Readonly<Record<string, string>>): Promise<TDoc | null>;
  /** Throws unless the server answers. */
  ping(): Promise<void>;
  /** Forgets the cached documents (see {@link ProjectionSink.reset}). */
  reset(): void;
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
   * beyond its pool, so `openVersionedStore` lowers this there.
   */
  readonly maxUpdatesPerCommand?: number;
  /**
   * How a round reads its documents. `batched` (default): one `find` with `$in` on the
   * first key field, which MongoDB answers from the key's index. `per-key`: one
   * equality `find` per document, `maxConcurrentReads` at a time, for servers that
   * answer `$in` by scanning the whole collection (FerretDB v1 pushes only top-level
   * equality down to its backend), where a read would otherwise cost in proportion to
   * the collection's size.
   */
  readonly keyLookup?: KeyLookup;
  /** Equality reads in flight at once in `per-key` mode. Default 8. */
  readonly maxConcurrentReads?: number;
  /**
   * Documents kept from the last reads and acknowledged writes ({@link DocumentCache}),
   * so that a round reads only what it cannot guess (see `planFirstRound`). Default
   * 10,000; 0 reads every document of every batch first.
   */
  readonly cachedDocuments?: number;
  /** Read concern of the reads that decide stale or applied. Default `majority`. */
  readonly readConcern?: ReadConcernLevel;
  /** Write concern of the writes. Default `majority`: a write a failover rolls back is never acknowledged. */
  readonly writeConcern?: W;
}

/** See {@link VersionedStoreOptions.keyLookup}. */
export type KeyLookup = 'batched' | 'per-key';

/** Default of {@link VersionedStoreOptions.maxConcurrentReads}. */
const DEFAULT_MAX_CONCURRENT_READS = 8;

/** Default of {@link VersionedStoreOptions.cachedDocuments}. */
export const DEFAULT_CACHED_DOCUMENTS = 10_000;

/** Default of {@link VersionedStoreOptions.maxConflictRounds}. */
const DEFAULT_MAX_CONFLICT_ROUNDS = 5;

/**
 * The driver's default first batch of a cursor: the read's `batchSize` is never below
 * it, and otherwise twice the first key values asked for (one value of the first key
 * field can match several documents when the key is compound), so that a batch's
 * documents mostly come back in one round trip.
 */
const DRIVER_DEFAULT_BATCH_SIZE = 101;

/** Documents are read and written without `_id`: the key fields identify them. */
const WITHOUT_ID = { _id: 0 } as const;

/** Creates the store of one projection over an open database. */
export function createVersionedStore<TEvent extends VersionedEvent, TDoc extends VersionStamp>(
  options: VersionedStoreOptions<TEvent, TDoc>,
): VersionedStore<TEvent, TDoc> {
  const { db, projection, logger } = options;
  const maxRounds = options.maxConflictRounds ?? DEFAULT_MAX_CONFLICT_ROUNDS;
  const maxUpdates = options.maxUpdatesPerCommand ?? Number.POSITIVE_INFINITY;
  const perKey = options.keyLookup === 'per-key';
  const maxConcurrentReads = options.maxConcurrentReads ?? DEFAULT_MAX_CONCURRENT_READS;
  const cache = new DocumentCache<TDoc>(options.cachedDocuments ?? DEFAULT_CACHED_DOCUMENTS);
  const collection = db.collection<Document>(projection.collection, {
    readConcern: { level: options.readConcern ?? 'majority' },
    writeConcern: { w: options.writeConcern ?? 'majority' },
  });
  const { keyFields } = projection;
  const [firstKeyField] = keyFields;
  const context = { collection: projection.collection };

  /** The current documents of the groups, by {@link keyString}: one `find` on the first key field. */
  async function readBatched(groups: readonly EventGroup<TEvent>[]): Promise<Document[]> {
    const firstValues = [...new Set(groups.map((g) => g.key[firstKeyField] ?? ''))];
    return collection
      .find(
        { [firstKeyField]: { $in: firstValues } },
        { projection: WITHOUT_ID, batchSize: Math.max(firstValues.length * 2, DRIVER_DEFAULT_BATCH_SIZE) },
      )
      .toArray();
  }

  /** The current documents of the groups: one equality `findOne` per group, a few at a time. */
  async function readPerKey(groups: readonly EventGroup<TEvent>[]): Promise<Document[]> {
    const found: Document[] = [];
    let next = 0;
    const reader = async (): Promise<void> => {
      while (next < groups.length) {
        const group = groups[next++]!;
        const document = await collection.findOne(keyFilter(keyFields, group.key), { projection: WITHOUT_ID });
        if (document !== null) found.push(document);
      }
    };
    await Promise.all(Array.from({ length: Math.min(maxConcurrentReads, groups.length) }, reader));
    return found;
  }

  /** The current documents of the groups by {@link keyString}, and the commands it took. */
  async function readDocuments(
    groups: readonly EventGroup<TEvent>[],
  ): Promise<{ readonly documents: Map<string, TDoc>; readonly commands: number }> {
    try {
      const docs = perKey ? await readPerKey(groups) : await readBatched(groups);
      const documents = new Map(docs.map((doc) => [keyString(keyFields, doc), doc as unknown as TDoc]));
      for (const group of groups) {
        const document = documents.get(group.id);
        if (document === undefined) cache.delete(group.id);
        else cache.set(group.id, document);
      }
      return { documents, commands: perKey ? groups.length : 1 };
    } catch (error) {
      throw toStoreError(error, `find in ${projection.collection}`, context);
    }
  }

  /**
   * The first round's plan, reading only what it must. A group is folded on the
   * document the cache holds, or on none when the cache holds nothing for it: a group
   * that starts with its entity's creation then plans an insert, which the unique key
   * index turns into a lost race (and a read) if the document exists after all. A group
   * whose fold rejects an event is read and folded again: a rejection goes out as a dead
   * letter before any write could show that the guess was wrong, so it must come from
   * the collection's document.
   */
  async function planFirstRound(
    groups: readonly EventGroup<TEvent>[],
  ): Promise<{ readonly plan: RoundPlan<TEvent, TDoc>; readonly commands: number }> {
    if (cache.capacity === 0) {
      const read = await readDocuments(groups);
      return { plan: planRound(projection, groups, read.documents), commands: read.commands };
    }
    const held = new Map<string, TDoc>();
    for (const group of groups) {
      const document = cache.get(group.id);
      if (document !== undefined) held.set(group.id, document);
    }
    const guessed = planRound(projection, groups, held);
    const doubtful = new Set(
      [...guessed.folds].filter(([, fold]) => fold.outcomes.some(isRejection)).map(([id]) => id),
    );
    if (doubtful.size === 0) return { plan: guessed, commands: 0 };
    const toRead = groups.filter((g) => doubtful.has(g.id));
    const read = await readDocuments(toRead);
    const readPlan = planRound(projection, toRead, read.documents);
    return {
      plan: {
        folds: new Map([...[...guessed.folds].filter(([id]) => !doubtful.has(id)), ...readPlan.folds]),
        writes: [...guessed.writes.filter((w) => !doubtful.has(w.group.id)), ...readPlan.writes],
      },
      commands: read.commands,
    };
  }

  /** STORE_REJECTED for a document the driver would refuse as too large, naming its key. */
  function tooLarge(
    oversized: { readonly write: PlannedWrite<TEvent, TDoc>; readonly bytes: number },
    limit: number,
    cause?: unknown,
  ): StoreError {
    const { write, bytes } = oversized;
    return new StoreError(
      'STORE_REJECTED',
      `document ${JSON.stringify(write.group.key)} of ${projection.collection} is ${bytes} bytes as written, at or above the ${limit}-byte document limit: it can never be written`,
      { retriable: false, cause, context: { ...context, key: write.group.key, bytes, limit } },
    );
  }

  /** Writes the planned documents; `complete` is false when any guarded write lost a race. */
  async function write(
    writes: readonly PlannedWrite<TEvent, TDoc>[],
  ): Promise<{ complete: boolean; commands: number; refusedInserts: ReadonlySet<PlannedWrite<TEvent, TDoc>> }> {
    const commands = planCommands(writes, maxUpdates);
    let acknowledged = 0;
    let lostRace = false;
    /** Inserts the unique key index refused: certainly not written by this store, whatever is there now. */
    const refusedInserts = new Set<PlannedWrite<TEvent, TDoc>>();
    for (const command of commands) {
      try {
        const operations = command.map((w) => operationOf(w, keyFields));
        const result = await collection.bulkWrite(operations, { ordered: false });
        acknowledged += result.insertedCount + result.matchedCount;
      } catch (error) {
        // The driver refused a statement before sending the command (nothing of it was
        // applied): a server announcing a limit below the one checked before writing.
        const limit = driverDocumentSizeLimit(error);
        if (limit !== undefined) {
          const oversized = findOversizedWrite(command, (w) => statementBytes(w, keyFields), limit);
          if (oversized !== undefined) throw tooLarge(oversized, limit, error);
          throw new StoreError(
            'STORE_REJECTED',
            `bulk write to ${projection.collection} refused a document: ${(error as Error).message}`,
            { retriable: false, cause: error, context: { ...context, limit } },
          );
        }
        // Only write errors of single documents are handled here; anything else is the store's trouble.
        const writeErrors = documentCausedWriteErrors(error);
        if (writeErrors === undefined) throw toStoreError(error, `bulkWrite to ${projection.collection}`, context);
        const refused = writeErrors.find((e) => e.code !== DUPLICATE_KEY);
        if (refused === undefined) {
          // Lost insert races only: the version guard makes a re-read and re-fold safe.
          for (const e of writeErrors) if (command[e.index] !== undefined) refusedInserts.add(command[e.index]!);
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
    return { complete: !lostRace && acknowledged === writes.length, commands: commands.length, refusedInserts };
  }

  return {
    collection,

    ensureIndexes: () => ensureIndexes(collection, projection.indexes, logger),

    async applyBatch(events, applyOptions = {}) {
      const { positions, beforeWrite } = applyOptions;
      const groups = groupEvents(projection, events, positions);
      /** Each group's latest fold: outcomes and rejections are those of the last round that read it. */
      let folds: ReadonlyMap<string, FoldResult<TDoc>> = new Map();
      /** The groups to read this round: all of them first, then those whose write may have lost a race. */
      let pending: readonly EventGroup<TEvent>[] = groups;
      /** The writes of the last round, when not all of them were acknowledged. */
      let unconfirmed: readonly PlannedWrite<TEvent, TDoc>[] = [];
      /** Of those, the inserts refused as duplicates: lost, even when an identical document is there. */
      let refused: ReadonlySet<PlannedWrite<TEvent, TDoc>> = new Set();
      let commands = 0;
      let conflicts = 0;
      let written = 0;

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
        let plan: RoundPlan<TEvent, TDoc>;
        if (round === 0) {
          const first = await planFirstRound(pending);
          plan = first.plan;
          commands += first.commands;
        } else {
          const read = await readDocuments(pending);
          const current = read.documents;
          commands += read.commands;
          // Writes of the last round that went through show up as the version we planned.
          const lost = unconfirmed.filter((w) => refused.has(w) || !hasLanded(w, current.get(w.group.id)));
          written += unconfirmed.length - lost.length;
          conflicts += lost.length;
          pending = lost.map((w) => w.group);
          plan = planRound(projection, pending, current);
        }
        folds = new Map([...folds, ...plan.folds]);
        if (plan.writes.length === 0) break;
        // Before the dead letters of this round go out: a batch the driver would refuse
        // must reach the caller's one-by-one isolation without side effects.
        const oversized = findOversizedWrite(plan.writes, documentBytes, MAX_BSON_OBJECT_SIZE, documentBytesBound);
        if (oversized !== undefined) throw tooLarge(oversized, MAX_BSON_OBJECT_SIZE);
        await beforeWrite?.(rejectionsOf(groups, folds));
        const result = await write(plan.writes);
        commands += result.commands;
        if (result.complete) {
          for (const w of plan.writes) cache.set(w.group.id, w.document);
          written += plan.writes.length;
          break;
        }
        // Which of them landed is only known by reading them again.
        for (const w of plan.writes) cache.delete(w.group.id);
        unconfirmed = plan.writes;
        refused = result.refusedInserts;
        pending = plan.writes.map((w) => w.group);
        logger.debug(
          { collection: projection.collection, round, documents: plan.writes.length },
          'guarded writes lost races; re-reading',
        );
      }

      return { ...batchOutcomes(events.length, groups, folds), conflicts, commands, written };
    },

    reset() {
      // A swapped-in collection can be behind what the cache holds, which the version guard does not cover.
      cache.clear();
    },

    async findByKey(key) {
      try {
        return (await collection.findOne(keyFilter(keyFields, key), { projection: WITHOUT_ID })) as TDoc | null;
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
