// `verify <projection>`: the drift check. Fold the projection's topics from their
// start with the worker's rules, then compare with the live collection wherever the
// live group has consumed every record of a document. The fold is in memory, or, for
// a model too large for that, through the projection's own store into a temporary
// collection that is dropped afterwards. Both modes share the comparison (./compare):
// the live collection is streamed, never loaded.
import type { Collection, Document } from 'mongodb';
import { decodeRecord } from '@sc/event-schemas';
import type { DomainEvent } from '@sc/event-schemas';
import type { ProjectionDefinition, VersionStamp } from '@sc/projection-core';
import type { AnyWorker } from '@sc/read-models';
import { describeError } from '@sc/service-kit';
import { throwIfInterrupted } from './command';
import type { CommandResult, CommandRunner } from './command';
import { compareStreams, createPendingTracker, formatDifferences, memorySide, pendingKeys } from './compare';
import type { ComparisonReport, ModelSide } from './compare';
import type { OpsContext } from './context';
import { createMemoryModel, documentKey } from './memory-model';
import type { FoldCounts } from './memory-model';
import type { ProgressReporter } from './progress';
import { createFoldProcessor, openProjectionStore } from './projection-store';
import { fetchCommitted, fetchRanges, partitionKey, readRanges } from './topic-reader';
import type { PartitionRange } from './topic-reader';
import { testHoldFromEnv } from './test-hold';
import type { TestHold } from './test-hold';

/**
 * Where `verify` folds: `memory`, `collection` (a temporary collection), or `auto`:
 * the temporary collection when the live collection has more documents than
 * `maxMemoryDocuments`.
 */
export type VerifyMode = 'memory' | 'collection' | 'auto';

/**
 * Above this many live documents `auto` folds into a temporary collection: a folded
 * document and its key take a few kB of heap, so this keeps the fold well inside the
 * 1 GiB the verify Jobs of deploy/ops are given.
 */
export const DEFAULT_MAX_MEMORY_DOCUMENTS = 100_000;

/** The temporary collection of a `verify` in collection mode, and whether it is gone. */
export interface TemporaryCollection {
  readonly name: string;
  readonly dropped: boolean;
  /** Why it could not be dropped. */
  readonly dropError?: string;
}

/** What `verify` found. */
export interface VerifyReport extends ComparisonReport {
  readonly projection: string;
  readonly collection: string;
  readonly group: string;
  /** Where the fold was made (`auto` resolved). */
  readonly mode: Exclude<VerifyMode, 'auto'>;
  /** Collection mode only. */
  readonly temporaryCollection?: TemporaryCollection;
  /** Records folded, and what the fold made of them. */
  readonly records: number;
  readonly fold: Readonly<FoldCounts>;
}

/** Options of {@link verifyProjection}. */
export interface VerifyOptions {
  /** Differences to keep for printing. */
  readonly show: number;
  /** The collection to compare with; default the projection's own. */
  readonly collection?: string;
  /** Default `auto`. */
  readonly mode?: VerifyMode;
  /** The threshold of `auto`; default {@link DEFAULT_MAX_MEMORY_DOCUMENTS}. */
  readonly maxMemoryDocuments?: number;
  /** Point lookups in flight at once in collection mode (reads only). Default 8. */
  readonly lookups?: number;
  readonly progress?: ProgressReporter;
  readonly now?: () => Date;
  /** Stops the fold or the comparison at its next step; the temporary collection is still dropped. */
  readonly interrupt?: AbortSignal;
  /** Test hook (./test-hold): `verify-fold`, after each chunk folded into the temporary collection. */
  readonly hold?: TestHold;
}

/** The offsets a verify works with, taken once at its start. */
interface Snapshot {
  readonly ranges: readonly PartitionRange[];
  /** The live group's committed offsets, by logical `topic/partition`. */
  readonly committed: ReadonlyMap<string, number>;
  /** The end of the fold, by logical `topic/partition`. */
  readonly foldedUpTo: ReadonlyMap<string, number>;
  readonly total: number;
}

/** What a fold hands the comparison. */
interface Fold {
  readonly expected: ModelSide;
  readonly pending: ReadonlySet<string>;
  readonly records: number;
  readonly counts: Readonly<FoldCounts>;
  /** The expected side is in memory: the live keys may be kept too (see `rememberLiveKeys`). */
  readonly inMemory: boolean;
  /** Documents folded (estimated in a collection), for the comparison's progress. */
  readonly documents: number;
}

async function takeSnapshot(ops: OpsContext, worker: AnyWorker): Promise<Snapshot> {
  const topics = worker.topics.map((t) => ops.physical(t));
  const group = ops.physical(worker.group);
  // Committed offsets first, ends second: everything committed is inside the fold.
  const committedPhysical = await fetchCommitted(ops.admin, group, topics);
  const ranges = await fetchRanges(ops.admin, topics);
  const logicalKey = (topic: string, partition: number) => partitionKey(ops.logical(topic), partition);
  const committed = new Map(
    ranges.flatMap((r) => {
      const offset = committedPhysical.get(partitionKey(r.topic, r.partition));
      return offset === undefined ? [] : [[logicalKey(r.topic, r.partition), offset] as const];
    }),
  );
  const foldedUpTo = new Map(ranges.map((r) => [logicalKey(r.topic, r.partition), r.high]));
  return { ranges, committed, foldedUpTo, total: ranges.reduce((sum, r) => sum + r.high - r.low, 0) };
}

/** A collection as one side of the comparison: streamed, and looked up by top-level equality on the key fields. */
function collectionSide(collection: Collection, keyFields: readonly string[]): ModelSide {
  return {
    documents: () => collection.find({}, { projection: { _id: 0 } }),
    async find(doc) {
      // Equality on each key field at the top level: FerretDB v1 turns only that into an
      // indexed PostgreSQL query ($in or $or would fetch the whole collection).
      const filter: Document = {};
      for (const field of keyFields) filter[field] = doc[field];
      return (await collection.findOne(filter, { projection: { _id: 0 } })) ?? undefined;
    },
  };
}

/** `20261128T081659123Z`: to the millisecond, so two verifies of one collection never share a name. */
function stampOf(date: Date): string {
  return date.toISOString().replace(/[-:.]/g, '');
}

/** Folds in memory with the worker's rules (./memory-model). */
async function foldInMemory(
  ops: OpsContext,
  worker: AnyWorker,
  snapshot: Snapshot,
  { progress, interrupt }: VerifyOptions,
): Promise<Fold> {
  const projection = worker.projection as ProjectionDefinition<DomainEvent, VersionStamp>;
  const model = createMemoryModel(projection);
  let records = 0;
  progress?.start(`verify ${projection.name}: folding ${worker.topics.join(', ')} in memory`, snapshot.total);
  await readRanges(
    ops.kafka,
    ops.admin,
    snapshot.ranges,
    (batch) => {
      throwIfInterrupted(interrupt);
      model.apply(ops.logical(batch.topic), batch.partition, batch.messages);
      records += batch.messages.length;
      progress?.update(records);
    },
    { groupPrefix: ops.physical(`sc-ops.verify.${worker.group}.`) },
  );
  progress?.finish();
  const documents = model.documents as ReadonlyMap<string, unknown> as ReadonlyMap<string, Record<string, unknown>>;
  return {
    expected: memorySide(documents, (doc) => documentKey(projection.keyFields, doc)),
    pending: pendingKeys(model.newest, snapshot.committed),
    records,
    counts: model.counts,
    inMemory: true,
    documents: model.documents.size,
  };
}

/**
 * Folds through the projection's own store (the workers' chunk processor and
 * MongoDB store, which creates the declared indexes when it opens) into `temporary`.
 * What the workers would dead-letter is counted, never produced.
 */
async function foldIntoCollection(
  ops: OpsContext,
  worker: AnyWorker,
  snapshot: Snapshot,
  temporary: string,
  { progress, interrupt, hold }: VerifyOptions,
): Promise<Fold> {
  const projection = worker.projection as ProjectionDefinition<DomainEvent, VersionStamp>;
  const { config } = ops;
  const counts: FoldCounts = { applied: 0, stale: 0, ignored: 0, dead_lettered: 0 };
  const pending = createPendingTracker(snapshot.committed);
  let records = 0;
  const store = await openProjectionStore(ops, projection, temporary);
  const done = new AbortController();
  // The end of the fold, or an interrupt, stops the processor and the store's retries
  // (an outage would hold the fold there).
  const stop = interrupt ? AbortSignal.any([done.signal, interrupt]) : done.signal;
  try {
    // What the workers would dead-letter is counted from the verdicts below.
    const processor = createFoldProcessor(ops, {
      sink: store.sink,
      consumerGroup: ops.physical(`sc-ops.verify.${worker.group}`),
      command: 'verify',
      deadLetters: () => undefined,
      signal: stop,
    });
    progress?.start(`verify ${projection.name}: folding ${worker.topics.join(', ')} into ${temporary}`, snapshot.total);
    await readRanges(
      ops.kafka,
      ops.admin,
      snapshot.ranges,
      async (batch) => {
        const logicalTopic = ops.logical(batch.topic);
        const size = config.worker.processing.maxEventsPerWrite;
        for (let start = 0; start < batch.messages.length; start += size) {
          const chunk = batch.messages.slice(start, start + size);
          // The newest record of each key, as the memory fold notes it (the processor decodes again).
          for (const m of chunk) {
            const decoded = decodeRecord({ topic: logicalTopic, key: m.key, value: m.value });
            if (decoded.kind === 'event')
              pending.note(documentKey(projection.keyFields, projection.keyOf(decoded.event)), {
                topic: logicalTopic,
                partition: batch.partition,
                offset: Number(m.offset),
              });
          }
          const result = await processor.process(chunk, {
            topic: batch.topic,
            logicalTopic,
            partition: batch.partition,
            keepGoing: () => !stop.aborted,
          });
          if (result.status === 'stopped') {
            throwIfInterrupted(interrupt);
            throw new Error(`the fold into ${temporary} was stopped`);
          }
          for (const verdict of result.verdicts) counts[verdict.outcome]++;
          records += chunk.length;
          progress?.update(records);
          await hold?.('verify-fold');
          throwIfInterrupted(interrupt);
        }
      },
      { groupPrefix: ops.physical(`sc-ops.verify.${worker.group}.`) },
    );
    progress?.finish();
  } finally {
    done.abort();
    await store.close();
  }
  return {
    expected: collectionSide(ops.db.collection(temporary), projection.keyFields),
    pending: pending.keys,
    records,
    counts,
    inMemory: false,
    documents: await ops.db.collection(temporary).estimatedDocumentCount(),
  };
}

/**
 * Folds the worker's topics (in memory or into a temporary collection, see
 * {@link VerifyMode}) and compares the result with the live collection. The temporary
 * collection is dropped in every case; the report says if that failed.
 */
export async function verifyProjection(
  ops: OpsContext,
  worker: AnyWorker,
  options: VerifyOptions,
): Promise<VerifyReport> {
  const projection = worker.projection as ProjectionDefinition<DomainEvent, VersionStamp>;
  const collection = options.collection ?? projection.collection;
  const liveCollection = ops.db.collection(collection);
  const requested = options.mode ?? 'auto';
  const mode: Exclude<VerifyMode, 'auto'> =
    requested !== 'auto'
      ? requested
      : (await liveCollection.estimatedDocumentCount()) > (options.maxMemoryDocuments ?? DEFAULT_MAX_MEMORY_DOCUMENTS)
        ? 'collection'
        : 'memory';
  const snapshot = await takeSnapshot(ops, worker);
  const base = { projection: projection.name, collection, group: ops.physical(worker.group), mode };
  const keyOf = (doc: Readonly<Record<string, unknown>>) => documentKey(projection.keyFields, doc);
  const compare = async (fold: Fold) => {
    // Both sides are read once: the live documents, then the folded ones.
    const total = fold.documents + (await liveCollection.estimatedDocumentCount());
    options.progress?.start(`verify ${projection.name}: comparing with ${collection}`, total, 'documents');
    const report = await compareStreams({
      ...snapshot,
      show: options.show,
      keyOf,
      expected: fold.expected,
      live: collectionSide(liveCollection, projection.keyFields),
      pending: fold.pending,
      concurrency: fold.inMemory ? 1 : (options.lookups ?? 8),
      rememberLiveKeys: fold.inMemory,
      onProgress: (documents) => {
        throwIfInterrupted(options.interrupt);
        options.progress?.update(documents);
      },
    });
    options.progress?.finish();
    return { ...report, records: fold.records, fold: fold.counts };
  };

  if (mode === 'memory') return { ...base, ...(await compare(await foldInMemory(ops, worker, snapshot, options))) };

  const temporary = `${projection.collection}__verify_${stampOf((options.now ?? (() => new Date()))())}`;
  let compared: Awaited<ReturnType<typeof compare>> | undefined;
  let failure: unknown;
  try {
    compared = await compare(await foldIntoCollection(ops, worker, snapshot, temporary, options));
  } catch (error) {
    failure = error;
  }
  let dropError: string | undefined;
  try {
    // Dropping a collection that was never created is no error: nothing to drop either way.
    await ops.db.collection(temporary).drop();
  } catch (error) {
    dropError = describeError(error);
  }
  if (compared === undefined) {
    // The report that would name the leftover is not coming: the log does.
    if (dropError !== undefined)
      ops.logger.error({ collection: temporary, cause: dropError }, 'the temporary collection could not be dropped');
    throw failure;
  }
  return {
    ...base,
    ...compared,
    temporaryCollection: { name: temporary, dropped: dropError === undefined, ...(dropError ? { dropError } : {}) },
  };
}

/** The report as text: where it folded, the counts, then the first differences field by field. */
export function formatVerifyReport(report: VerifyReport): string {
  const f = report.fold;
  const temporary = report.temporaryCollection;
  const where = temporary ? `into the temporary collection ${temporary.name}` : 'in memory';
  const lines = [
    `verify ${report.projection}: ${report.records.toLocaleString('en')} records folded (${f.applied} applied, ${f.stale} stale, ${f.ignored} ignored, ${f.dead_lettered} refused) ${where}, compared with ${report.collection}`,
    `documents checked ${report.checked}: equal ${report.equal}, missing ${report.missing}, extra ${report.extra}, different ${report.different}` +
      `; not compared ${report.notYetConsumed} (newest record not yet consumed by ${report.group})`,
  ];
  const problems = report.missing + report.extra + report.different;
  if (report.differences.length > 0) {
    lines.push(
      `first ${report.differences.length} of ${problems} differences:`,
      ...formatDifferences(report.differences),
    );
  }
  lines.push(problems === 0 ? 'OK: the collection is what its events give' : `DIFFERENT: ${problems} documents differ`);
  if (temporary)
    lines.push(
      temporary.dropped
        ? `temporary collection ${temporary.name} dropped`
        : `FAILED to drop the temporary collection ${temporary.name} (${temporary.dropError ?? 'unknown error'}): drop it by hand, db.${temporary.name}.drop()`,
    );
  return lines.join('\n');
}

/** The `verify` command: exit 1 on any difference, or when the temporary collection is left behind. */
export const runVerify: CommandRunner<'verify'> = async (
  command,
  { ops, progress, env, stderr, interrupt },
): Promise<CommandResult> => {
  const hold = testHoldFromEnv(env, stderr, interrupt);
  const report = await verifyProjection(ops, command.worker, {
    show: command.show,
    mode: command.mode,
    ...(command.maxMemoryDocuments === undefined ? {} : { maxMemoryDocuments: command.maxMemoryDocuments }),
    progress,
    interrupt,
    ...(hold && { hold }),
  });
  const { differences, ...counts } = report;
  const clean = report.missing + report.extra + report.different === 0 && report.temporaryCollection?.dropped !== false;
  return {
    exitCode: clean ? 0 : 1,
    text: formatVerifyReport(report),
    summary: { ...counts, differences },
  };
};
