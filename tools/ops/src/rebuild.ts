// `rebuild <projection>`: the read model built again from the start of its topics
// into a shadow collection with a consumer group of its own, while the live worker
// keeps serving; then, with the live workers paused between chunks (./pause), fed up
// to the live group's committed offsets and swapped in by renaming. A lock document
// makes a second rebuild refuse, and records the stage so that a rerun after a crash
// resumes where the first one stopped.
import { hostname } from 'node:os';
import type { Message } from 'kafkajs';
import { MongoServerError } from 'mongodb';
import type { Db } from 'mongodb';
import { DEAD_LETTER_HEADERS } from '@sc/event-schemas';
import type { DomainEvent } from '@sc/event-schemas';
import { toKafkaError } from '@sc/kafka-runtime';
import { PAUSE_CONTROL_COLLECTION, releasePause } from '@sc/mongo-store';
import type { PauseControlDocument } from '@sc/mongo-store';
import type { ProjectionDefinition, ProjectionSink, VersionStamp } from '@sc/projection-core';
import type { AnyWorker } from '@sc/read-models';
import { ConfigError, ProjectionError } from '@sc/service-kit';
import { PauseNotAcknowledged, holdPause } from './pause';
import type { CommandRunner } from './command';
import type { OpsContext } from './context';
import type { ProgressReporter } from './progress';
import { createFoldProcessor, openProjectionStore } from './projection-store';
import { testHoldFromEnv } from './test-hold';
import { fetchCommitted, fetchRanges, partitionKey } from './topic-reader';

/** The collection of rebuild locks, one document per read model being rebuilt. */
export const REBUILD_LOCKS = 'sc_ops_rebuilds';

/** Where a rebuild is. */
export type RebuildStage = 'building' | 'swapping' | 'finishing';

/** The lock document: who rebuilds which collection, where, and how far it got. */
export interface RebuildLock {
  readonly _id: string;
  readonly shadow: string;
  readonly old: string;
  readonly group: string;
  readonly stage: RebuildStage;
  readonly startedAt: Date;
  readonly owner: string;
  readonly heartbeatAt: Date;
}

/** A rebuild refused: another one holds the lock. */
export class RebuildRefused extends ProjectionError {
  constructor(message: string, lock: RebuildLock) {
    super('OPERATION_REFUSED', message, { retriable: false, context: { shadow: lock.shadow, stage: lock.stage } });
  }
}

/**
 * Test hooks: called when a stage is reached (throw to simulate a crash there, or hold
 * until killed: ./test-hold). `shadow-chunk`: after each chunk written to the shadow and
 * committed while building it.
 */
export type RebuildHook = (
  point: 'building' | 'shadow-chunk' | 'built' | 'paused' | 'between-renames' | 'swapped',
) => void | Promise<void>;

/** Options of {@link rebuildProjection}. */
export interface RebuildOptions {
  readonly dryRun: boolean;
  readonly keepOld: boolean;
  readonly progress?: ProgressReporter;
  readonly now?: () => Date;
  /** A lock whose heartbeat is older than this belongs to a rebuild that died. Default 30 s. */
  readonly staleLockMs?: number;
  readonly hook?: RebuildHook;
  /** Lease of the pause request: how long live workers stay paused if this process dies. Default 20 s. */
  readonly pauseLeaseMs?: number;
  /** Longest wait for every live group member to acknowledge the pause. Default 30 s. */
  readonly pauseAckTimeoutMs?: number;
}

/** What a rebuild did. */
export interface RebuildReport {
  readonly projection: string;
  readonly collection: string;
  readonly shadow: string;
  readonly group: string;
  readonly resumed: boolean;
  readonly swapped: boolean;
  readonly dryRun: boolean;
  /** The former collection, when kept (`--keep-old`); dropped otherwise. */
  readonly keptOld: string | undefined;
  readonly records: number;
  readonly documents: number;
  /** What the worker would have dead-lettered: counted and listed, never produced. */
  readonly deadLetters: number;
  readonly deadLettersByReason: Readonly<Record<string, number>>;
  readonly deadLetterOrigins: readonly string[];
  readonly seconds: number;
}

const HEARTBEAT_MS = 5_000;
const NAMESPACE_EXISTS = 48;
const NAMESPACE_NOT_FOUND = 26;

function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z');
}

async function collectionExists(db: Db, name: string): Promise<boolean> {
  return (await db.listCollections({ name }, { nameOnly: true }).toArray()).length > 0;
}

/**
 * Takes the lock of `collection`, or the lock of a rebuild whose process died (its
 * heartbeat is stale: the rerun resumes it). Refuses while another rebuild is alive.
 */
async function acquireLock(
  db: Db,
  fresh: RebuildLock,
  staleLockMs: number,
): Promise<{ lock: RebuildLock; resumed: boolean }> {
  const locks = db.collection<RebuildLock>(REBUILD_LOCKS);
  for (;;) {
    const existing = await locks.findOne({ _id: fresh._id });
    if (existing === null) {
      try {
        await locks.insertOne(fresh);
        return { lock: fresh, resumed: false };
      } catch (error) {
        if (error instanceof MongoServerError && error.code === 11000) continue; // taken meanwhile: look again
        throw error;
      }
    }
    const age = fresh.heartbeatAt.getTime() - existing.heartbeatAt.getTime();
    if (age < staleLockMs)
      throw new RebuildRefused(
        `a rebuild of ${fresh._id} is already running (owner ${existing.owner}, started ${existing.startedAt.toISOString()}, stage ${existing.stage}, shadow ${existing.shadow}); ` +
          `wait for it to end. If its process is gone, run the rebuild again after ${Math.ceil(staleLockMs / 1000)} s: it resumes that one.`,
        existing,
      );
    const taken = await locks.updateOne(
      { _id: fresh._id, heartbeatAt: existing.heartbeatAt },
      { $set: { owner: fresh.owner, heartbeatAt: fresh.heartbeatAt } },
    );
    if (taken.modifiedCount === 1) return { lock: { ...existing, owner: fresh.owner }, resumed: true };
  }
}

/** Records the stage (and what it needs) in the lock. */
async function setStage(db: Db, lock: RebuildLock, stage: RebuildStage, extra: Partial<RebuildLock> = {}) {
  await db.collection<RebuildLock>(REBUILD_LOCKS).updateOne({ _id: lock._id }, { $set: { stage, ...extra } });
  return { ...lock, ...extra, stage };
}

/**
 * Consumes `topics` with `groupId` into `sink` through the worker's own chunk
 * processor until the group has committed exactly `targets` on every partition that
 * has one (or more, where it had already), and never a record at or past its
 * partition's target: the shadow must hold no record the live group has not committed,
 * or the live worker, going on from its offsets into the swapped-in collection, would
 * find those records' effects there already and judge them otherwise than a calm run
 * (a `missing_entity` one stale, and its dead letter lost).
 * Dead letters go to `deadLetters` (nothing is produced).
 */
async function consumeUntil(
  ops: OpsContext,
  options: {
    readonly groupId: string;
    readonly topics: readonly string[];
    readonly sink: ProjectionSink<DomainEvent>;
    readonly targets: ReadonlyMap<string, number>;
    readonly deadLetters: Message[];
    readonly progress?: ProgressReporter;
    readonly label: string;
    readonly onChunk?: () => Promise<void>;
  },
): Promise<number> {
  const committed = await fetchCommitted(ops.admin, options.groupId, options.topics);
  const ranges = await fetchRanges(ops.admin, options.topics);
  const position = new Map(
    ranges.map((r) => [partitionKey(r.topic, r.partition), committed.get(partitionKey(r.topic, r.partition)) ?? r.low]),
  );
  const open = new Set(
    [...options.targets].filter(([key, target]) => (position.get(key) ?? 0) < target).map(([key]) => key),
  );
  const total = [...options.targets].reduce((sum, [key, t]) => sum + Math.max(0, t - (position.get(key) ?? 0)), 0);
  let records = 0;
  options.progress?.start(options.label, total);
  if (open.size === 0) {
    options.progress?.finish();
    return 0;
  }
  const abort = new AbortController();
  const { config } = ops;
  const processor = createFoldProcessor(ops, {
    sink: options.sink,
    consumerGroup: options.groupId,
    command: 'a rebuild',
    // The summary lists them.
    deadLetters: (messages) => void options.deadLetters.push(...messages),
    signal: abort.signal,
  });
  const consumer = ops.kafka.consumer({
    groupId: options.groupId,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: config.worker.kafka.maxWaitMs,
    sessionTimeout: config.worker.kafka.sessionTimeoutMs,
    heartbeatInterval: config.worker.kafka.heartbeatIntervalMs,
  });
  let finish!: () => void;
  let fail!: (error: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
        const key = partitionKey(batch.topic, batch.partition);
        // Never past a target, nor in a partition without one: see consumeUntil's comment.
        const target = options.targets.get(key) ?? 0;
        const below = batch.messages.findIndex((m) => Number(m.offset) >= target);
        const messages = below === -1 ? batch.messages : batch.messages.slice(0, below);
        try {
          const size = config.worker.processing.maxEventsPerWrite;
          for (let start = 0; start < messages.length; start += size) {
            if (!isRunning() || isStale() || abort.signal.aborted) return;
            const chunk = messages.slice(start, start + size);
            const result = await processor.process(chunk, {
              topic: batch.topic,
              logicalTopic: ops.logical(batch.topic),
              partition: batch.partition,
              keepGoing: () => isRunning() && !isStale() && !abort.signal.aborted,
            });
            if (result.status === 'stopped') return;
            const next = Number(chunk[chunk.length - 1]!.offset) + 1;
            await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(next) }]);
            await heartbeat();
            records += chunk.length;
            options.progress?.update(records);
            await options.onChunk?.();
            if (next >= target) open.delete(key);
            if (open.size === 0) {
              finish();
              return;
            }
          }
        } catch (error) {
          abort.abort();
          fail(error);
        }
      },
    });
    await finished;
  } catch (error) {
    if (error instanceof Error && error.name.startsWith('KafkaJS')) throw toKafkaError(error, options.label);
    throw error;
  } finally {
    abort.abort();
    options.progress?.finish();
    await consumer.disconnect().catch(() => undefined);
  }
  return records;
}

/**
 * Renames the live collection aside and the shadow in its place. Without an atomic
 * `dropTarget` (FerretDB v1 has none) this is two renames. The live workers are paused
 * meanwhile; only one resumed early (a rerun after a crash between the renames, once
 * the dead rebuild's pause lapsed) recreates the collection by name, which is dropped
 * and the rename retried: what it wrote there is below the committed offsets the shadow
 * was fed up to. Idempotent: a rerun after a crash in the middle finishes it.
 */
async function swap(db: Db, lock: RebuildLock, live: string, hook?: RebuildHook): Promise<void> {
  const admin = db.admin();
  const ns = (name: string) => `${db.databaseName}.${name}`;
  for (let attempt = 1; ; attempt++) {
    const shadowThere = await collectionExists(db, lock.shadow);
    if (!shadowThere) return; // renamed in already
    if ((await collectionExists(db, live)) && !(await collectionExists(db, lock.old)))
      await admin.command({ renameCollection: ns(live), to: ns(lock.old) });
    await hook?.('between-renames');
    try {
      await admin.command({ renameCollection: ns(lock.shadow), to: ns(live) });
      return;
    } catch (error) {
      const code = error instanceof MongoServerError ? error.code : undefined;
      if (code === NAMESPACE_NOT_FOUND) return;
      if (code !== NAMESPACE_EXISTS || attempt >= 10) throw error;
      // The live worker recreated the collection between the renames: what it wrote is re-derived.
      await db.collection(live).drop();
    }
  }
}

/** Ends the pause request on `collection`, if any, with its acknowledgements (see its caller). */
async function releaseLeftPause(db: Db, collection: string): Promise<void> {
  const left = await db.collection<PauseControlDocument>(PAUSE_CONTROL_COLLECTION).findOne({ _id: collection });
  if (left !== null) await releasePause(db, collection, left.request);
}

/** Rebuilds the worker's read model; see the module comment. */
export async function rebuildProjection(
  ops: OpsContext,
  worker: AnyWorker,
  options: RebuildOptions,
): Promise<RebuildReport> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const projection = worker.projection as ProjectionDefinition<DomainEvent, VersionStamp>;
  const live = projection.collection;
  const topics = worker.topics.map((t) => ops.physical(t));
  const liveGroup = ops.physical(worker.group);
  const stamp = timestamp(started);
  const { lock: acquired, resumed } = await acquireLock(
    ops.db,
    {
      _id: live,
      shadow: `${live}__rebuild_${stamp}`,
      old: `${live}__old_${stamp}`,
      group: ops.physical(`${worker.group}.rebuild.${stamp}`),
      stage: 'building',
      startedAt: started,
      owner: `${hostname()}:${process.pid}`,
      heartbeatAt: started,
    },
    options.staleLockMs ?? 30_000,
  );
  let lock = acquired;
  const heartbeat = setInterval(() => {
    void ops.db
      .collection<RebuildLock>(REBUILD_LOCKS)
      .updateOne({ _id: live, owner: lock.owner }, { $set: { heartbeatAt: now() } })
      .catch(() => undefined);
  }, HEARTBEAT_MS);
  heartbeat.unref();
  const deadLetters: Message[] = [];
  let records = 0;
  const openStore = (collection: string) => openProjectionStore(ops, projection, collection);
  let swapped = false;
  try {
    if (lock.stage === 'building') {
      // The shadow gets the same indexes when the store opens it.
      const store = await openStore(lock.shadow);
      try {
        await options.hook?.('building');
        // Two passes: to the live group's committed offsets as they were at the start,
        // then as they are then; never ahead of the live worker (see consumeUntil).
        for (const pass of [1, 2]) {
          records += await consumeUntil(ops, {
            groupId: lock.group,
            topics,
            sink: store.sink,
            targets: await fetchCommitted(ops.admin, liveGroup, topics),
            deadLetters,
            progress: options.progress,
            label: `rebuild ${live} into ${lock.shadow}${pass === 2 ? ' (catching up)' : ''}`,
            onChunk: async () => {
              await options.hook?.('shadow-chunk');
            },
          });
        }
      } finally {
        await store.close();
      }
      await options.hook?.('built');
      if (options.dryRun) {
        await ops.db.collection<RebuildLock>(REBUILD_LOCKS).deleteOne({ _id: live });
        return report(false);
      }
      lock = await setStage(ops.db, lock, 'swapping');
    }
    if (lock.stage === 'swapping') {
      // Live workers stop between chunks: once each member has acknowledged, the live
      // group's committed offsets are final and the old collection holds exactly them.
      const pause = await holdPause({
        db: ops.db,
        admin: ops.admin,
        logger: ops.logger,
        collection: live,
        group: liveGroup,
        by: `rebuild of ${live} by ${lock.owner}`,
        leaseMs: options.pauseLeaseMs ?? 20_000,
        ackTimeoutMs: options.pauseAckTimeoutMs ?? 30_000,
      });
      try {
        await options.hook?.('paused');
        const committed = await fetchCommitted(ops.admin, liveGroup, topics);
        // A rerun after a crash between the renames, or after them, finds the shadow renamed in already.
        const target = (await collectionExists(ops.db, lock.shadow)) ? lock.shadow : live;
        const store = await openStore(target);
        try {
          records += await consumeUntil(ops, {
            groupId: lock.group,
            topics,
            sink: store.sink,
            targets: committed,
            deadLetters,
            progress: options.progress,
            label: `rebuild ${live}: up to the offsets the paused live group committed`,
          });
        } finally {
          await store.close();
        }
        // Still paused and acknowledged by every member (none resumed after a lapse, none joined since).
        await pause.confirm();
        await swap(ops.db, lock, live, options.hook);
        swapped = true;
        lock = await setStage(ops.db, lock, 'finishing');
        await options.hook?.('swapped');
      } finally {
        // Workers resume into the new collection from the committed offsets, their caches forgotten.
        await pause.release();
      }
    }
    // No catch-up after the swap: the new collection holds every record below the
    // committed offsets, from which the live worker goes on; one more record read here
    // would only be found stale.
    swapped = true;
    // A rerun of a rebuild that died after the swap ends the pause it held (its lease
    // may not have lapsed yet): releasing it is what that run did next. The lock makes
    // any request on this collection that run's, and a lapsed one is inert anyway.
    if (resumed) await releaseLeftPause(ops.db, live);
    if (!options.keepOld && (await collectionExists(ops.db, lock.old))) await ops.db.collection(lock.old).drop();
    await ops.admin.deleteGroups([lock.group]).catch(() => undefined);
    await ops.db.collection<RebuildLock>(REBUILD_LOCKS).deleteOne({ _id: live });
    return report(true);
  } finally {
    // A failure leaves the lock as it is: its heartbeat goes stale, and a rerun resumes.
    clearInterval(heartbeat);
  }

  async function countDocuments(collection: string): Promise<number> {
    return ops.db.collection(collection).countDocuments();
  }

  async function report(done: boolean): Promise<RebuildReport> {
    const byReason: Record<string, number> = {};
    for (const m of deadLetters) {
      const reason = String(m.headers?.[DEAD_LETTER_HEADERS.reason]);
      byReason[reason] = (byReason[reason] ?? 0) + 1;
    }
    return {
      projection: projection.name,
      collection: live,
      shadow: lock.shadow,
      group: lock.group,
      resumed,
      swapped: done && swapped,
      dryRun: options.dryRun,
      keptOld: done && options.keepOld ? lock.old : undefined,
      records,
      documents: await countDocuments(done ? live : lock.shadow),
      deadLetters: deadLetters.length,
      deadLettersByReason: byReason,
      deadLetterOrigins: deadLetters.map(
        (m) =>
          `${String(m.headers?.[DEAD_LETTER_HEADERS.originalTopic])}/${String(m.headers?.[DEAD_LETTER_HEADERS.originalPartition])}@${String(m.headers?.[DEAD_LETTER_HEADERS.originalOffset])} ${String(m.headers?.[DEAD_LETTER_HEADERS.reason])}`,
      ),
      seconds: (now().getTime() - started.getTime()) / 1000,
    };
  }
}

/** The rebuild's summary as text. */
export function formatRebuildReport(r: RebuildReport): string {
  const lines = [
    `rebuild ${r.projection}${r.resumed ? ' (resumed)' : ''}: ${r.records.toLocaleString('en')} records consumed with group ${r.group} in ${r.seconds.toFixed(1)} s`,
    r.dryRun
      ? `dry run: ${r.shadow} built (${r.documents} documents), not swapped; drop it with db.${r.shadow}.drop()`
      : `${r.shadow} swapped in as ${r.collection} (${r.documents} documents); former collection ${r.keptOld ? `kept as ${r.keptOld}` : 'dropped'}`,
    `dead letters not produced: ${r.deadLetters}${
      r.deadLetters > 0
        ? ` (${Object.entries(r.deadLettersByReason)
            .map(([reason, n]) => `${reason} ${n}`)
            .join(', ')})`
        : ''
    }`,
    ...r.deadLetterOrigins.slice(0, 20).map((o) => `  ${o}`),
  ];
  if (r.deadLetterOrigins.length > 20)
    lines.push(`  … ${r.deadLetterOrigins.length - 20} more (--json lists them all)`);
  return lines.join('\n');
}

/** The variable that sets the pause lease of a rebuild (see {@link RebuildOptions.pauseLeaseMs}). */
export const PAUSE_LEASE_VARIABLE = 'OPS_PAUSE_LEASE_MS';

/**
 * The pause lease OPS_PAUSE_LEASE_MS asks for (undefined: the default). Shorter frees
 * the live workers sooner when a rebuild dies holding the pause; it must stay well
 * above the workers' 500 ms refresh, hence at least 1 s.
 */
export function pauseLeaseFromEnv(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const text = env[PAUSE_LEASE_VARIABLE];
  if (text === undefined || text === '') return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1000)
    throw new ConfigError([`${PAUSE_LEASE_VARIABLE}: a whole number of milliseconds ≥ 1000 (got "${text}")`]);
  return Number(text);
}

/** The `rebuild` command. */
export const runRebuild: CommandRunner<'rebuild'> = async (command, { ops, progress, env, stderr }) => {
  const pauseLeaseMs = pauseLeaseFromEnv(env);
  const hook = testHoldFromEnv(env, stderr);
  try {
    const report = await rebuildProjection(ops, command.worker, {
      dryRun: command.dryRun,
      keepOld: command.keepOld,
      progress,
      ...(pauseLeaseMs === undefined ? {} : { pauseLeaseMs }),
      ...(hook === undefined ? {} : { hook }),
    });
    return { exitCode: 0, text: formatRebuildReport(report), summary: { ...report } };
  } catch (error) {
    if (error instanceof PauseNotAcknowledged)
      return {
        exitCode: 1,
        text: `rebuild stopped before the swap: ${error.message}`,
        summary: { stopped: error.message, code: error.code },
      };
    if (!(error instanceof RebuildRefused)) throw error;
    return { exitCode: 1, text: `rebuild refused: ${error.message}`, summary: { refused: error.message } };
  }
};
