// `dlq list|show|replay <projection>`: the dead-letter topic read, grouped, shown,
// and selected dead letters applied again through the projection's decode and store.
import type { Consumer } from 'kafkajs';
import type { DeadLetterReason, DomainEvent } from '@sc/event-schemas';
import { createRenewingProducer, deadLetterPartitioner, sendDeadLetters, toKafkaError } from '@sc/kafka-runtime';
import type { IndexedRejection, ProjectionDefinition, VersionStamp } from '@sc/projection-core';
import { isRejection } from '@sc/projection-core';
import type { AnyWorker } from '@sc/read-models';
import type { ReplaySelection } from './args';
import type { CommandRunner } from './command';
import type { OpsContext } from './context';
import {
  deadLetterAgain,
  formatDeadLetter,
  formatDeadLetterGroups,
  groupDeadLetters,
  isSelected,
  originOf,
  readDeadLetter,
} from './dead-letters';
import type { DeadLetter } from './dead-letters';
import type { ProgressReporter } from './progress';
import { openProjectionStore } from './projection-store';
import { testHoldFromEnv } from './test-hold';
import { fetchCommitted, fetchRanges, partitionKey, readRanges } from './topic-reader';
import type { PartitionRange } from './topic-reader';

/** Every dead letter of the worker's dead-letter topic, up to its end now. */
export async function readDeadLetters(
  ops: OpsContext,
  worker: AnyWorker,
  progress?: ProgressReporter,
): Promise<DeadLetter[]> {
  const topic = ops.physical(worker.deadLetterTopic);
  const ranges = (await ops.admin.listTopics()).includes(topic) ? await fetchRanges(ops.admin, [topic]) : [];
  const letters: DeadLetter[] = [];
  progress?.start(
    `reading ${topic}`,
    ranges.reduce((sum, r) => sum + r.high - r.low, 0),
  );
  await readRanges(
    ops.kafka,
    ops.admin,
    ranges,
    (batch) => {
      for (const m of batch.messages) letters.push(readDeadLetter({ ...m, partition: batch.partition }, ops.logical));
      progress?.update(letters.length);
    },
    { groupPrefix: ops.physical(`sc-ops.dlq-read.${worker.group}.`) },
  );
  progress?.finish();
  return letters.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

/** The `dlq list` command. */
export const runDlqList: CommandRunner<'dlq-list'> = async (command, { ops, progress }) => {
  const letters = await readDeadLetters(ops, command.worker, progress);
  const groups = groupDeadLetters(letters);
  const topic = ops.physical(command.worker.deadLetterTopic);
  return {
    exitCode: 0,
    text: formatDeadLetterGroups(topic, groups),
    summary: { topic, total: letters.length, groups },
  };
};

/** The `dlq show` command. */
export const runDlqShow: CommandRunner<'dlq-show'> = async (command, { ops, progress }) => {
  const topic = ops.physical(command.worker.deadLetterTopic);
  const matching = (await readDeadLetters(ops, command.worker, progress)).filter((l) => l.reason === command.reason);
  const shown = matching.slice(0, command.limit);
  const text = [
    `${topic}: ${matching.length} dead letters with reason ${command.reason}${matching.length > shown.length ? `, the first ${shown.length}` : ''}`,
    ...shown.map((l) => formatDeadLetter(topic, l)),
  ].join('\n\n');
  return {
    exitCode: 0,
    text,
    summary: {
      topic,
      reason: command.reason,
      matching: matching.length,
      records: shown.map(({ key, value, decoded, ...rest }) => ({
        ...rest,
        key: key?.toString('utf8') ?? null,
        payload: decoded.kind === 'event' ? decoded.event : (value?.toString('utf8') ?? null),
      })),
    },
  };
};

/** What became of one replayed dead letter. */
export type ReplayOutcome = 'applied' | 'stale' | 'failed_again';

/** What a replay did. */
export interface ReplayReport {
  readonly topic: string;
  /** The replay's own consumer group: where it remembers how far it got. */
  readonly group: string;
  readonly selection: ReplaySelection;
  /** Dead letters read by this run (selected or not). */
  readonly read: number;
  readonly selected: number;
  readonly applied: number;
  readonly stale: number;
  /** Written back to the dead-letter topic with `x-attempt` increased. */
  readonly failedAgain: number;
  readonly failedAgainByReason: Readonly<Record<string, number>>;
  /** True when `maxRecords` ended the run before the end of the topic. */
  readonly stoppedAtLimit: boolean;
  /** Each replayed dead letter: the original record and its outcome. */
  readonly records: readonly { readonly origin: string; readonly eventType: string; readonly outcome: ReplayOutcome }[];
}

/** Options of {@link replayDeadLetters}. */
export interface ReplayOptions {
  readonly selection: ReplaySelection;
  /** Stop after this many selected dead letters (resume by running the same replay again). */
  readonly maxRecords?: number;
  /** The rules to apply; default the worker's own (tests pass another). */
  readonly projection?: ProjectionDefinition<DomainEvent, VersionStamp>;
  readonly progress?: ProgressReporter;
  readonly now?: () => Date;
  /**
   * Test hook: `replay-applied` after a chunk is applied to the store (and what failed
   * again written back) and before the replay's group commits it (./test-hold).
   */
  readonly hook?: (point: 'replay-applied') => Promise<void>;
}

/** The consumer group of a replay: one per projection and selection, so a rerun of the same replay resumes. */
export function replayGroupOf(worker: AnyWorker, selection: ReplaySelection): string {
  return [
    'sc-ops.replay',
    worker.group,
    selection.reason,
    selection.eventType ?? 'all-types',
    selection.since === undefined ? 'all-times' : `since-${selection.since.toISOString()}`,
  ].join('.');
}

/**
 * Applies the selected dead letters again, in the dead-letter topic's order per
 * partition, through the projection's decoder and the MongoDB store of the live
 * collection, without positions: the version rule alone decides, so an event the
 * document has moved past is stale. One that fails again is written back to the
 * dead-letter topic with `x-attempt` increased, before any write (as the worker does).
 * After each chunk the replay's own group commits, so a rerun resumes after it;
 * a crash between a write and its commit makes the rerun see those dead letters
 * again, and the version rule makes them stale: never applied twice.
 */
export async function replayDeadLetters(
  ops: OpsContext,
  worker: AnyWorker,
  options: ReplayOptions,
): Promise<ReplayReport> {
  const projection = options.projection ?? (worker.projection as ProjectionDefinition<DomainEvent, VersionStamp>);
  const now = options.now ?? (() => new Date());
  const { selection } = options;
  const topic = ops.physical(worker.deadLetterTopic);
  const group = ops.physical(replayGroupOf(worker, selection));
  const ranges = (await ops.admin.listTopics()).includes(topic) ? await fetchRanges(ops.admin, [topic]) : [];
  const committed = ranges.length === 0 ? new Map<string, number>() : await fetchCommitted(ops.admin, group, [topic]);
  // From where the replay got to, up to the end now (what it writes back comes after: the next replay's).
  const todo: PartitionRange[] = ranges.map((r) => ({
    ...r,
    low: Math.max(r.low, committed.get(partitionKey(r.topic, r.partition)) ?? r.low),
  }));
  const store = await openProjectionStore(ops, projection);
  // The workers' dead-letter producer: keyless letters partitioned alike on every attempt, a new producer after a failed send.
  const producer = createRenewingProducer(ops.kafka, { createPartitioner: deadLetterPartitioner });
  const consumer: Consumer = ops.kafka.consumer({
    groupId: group,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 200,
    // The workers' session timeout: a rerun after a crash joins once the dead run's session lapses.
    sessionTimeout: ops.config.worker.kafka.sessionTimeoutMs,
    heartbeatInterval: ops.config.worker.kafka.heartbeatIntervalMs,
  });
  const records: { origin: string; eventType: string; outcome: ReplayOutcome }[] = [];
  const failedAgainByReason: Record<string, number> = {};
  let read = 0;
  let selected = 0;
  let stoppedAtLimit = false;

  const writeBack = async (entries: readonly { letter: DeadLetter; reason: DeadLetterReason; detail: string }[]) => {
    if (entries.length === 0) return;
    const failedAt = now();
    await sendDeadLetters(
      { send: (t, messages) => producer.sendBatch({ acks: -1, topicMessages: [{ topic: t, messages }] }) },
      topic,
      entries.map((e) => deadLetterAgain(e.letter, e.reason, e.detail, failedAt)),
      ops.config.worker.processing.maxDeadLetterBatchBytes,
    );
    for (const e of entries) failedAgainByReason[e.reason] = (failedAgainByReason[e.reason] ?? 0) + 1;
  };

  /** Replays one chunk of one partition's dead letters. */
  const replayChunk = async (letters: readonly DeadLetter[]): Promise<void> => {
    const chosen = letters.filter((l) => isSelected(l, selection));
    const undecodable = chosen.flatMap((letter) =>
      letter.decoded.kind === 'event'
        ? []
        : [
            {
              letter,
              reason: (letter.decoded.kind === 'rejected'
                ? letter.decoded.reason
                : 'invalid_envelope') as DeadLetterReason,
              detail: letter.decoded.detail,
            },
          ],
    );
    const decodable = chosen.filter((l) => l.decoded.kind === 'event');
    const events = decodable.map((l) => (l.decoded as Extract<DeadLetter['decoded'], { kind: 'event' }>).event);
    const sent = new Set<DeadLetter>();
    const rejectedEntries = (rejected: readonly IndexedRejection[]) =>
      rejected.map((r) => ({ letter: decodable[r.index]!, reason: r.rejection.rejection, detail: r.rejection.detail }));
    const sendOnce = async (entries: readonly { letter: DeadLetter; reason: DeadLetterReason; detail: string }[]) => {
      const fresh = entries.filter((e) => !sent.has(e.letter));
      await writeBack(fresh);
      for (const e of fresh) sent.add(e.letter);
    };
    const result =
      events.length === 0
        ? { outcomes: [] }
        : await store.sink.applyBatch(events, {
            beforeWrite: (rejected) => sendOnce([...undecodable, ...rejectedEntries(rejected)]),
          });
    const rejected: IndexedRejection[] = [];
    result.outcomes.forEach((o, index) => {
      if (isRejection(o)) rejected.push({ index, rejection: o });
    });
    await sendOnce([...undecodable, ...rejectedEntries(rejected)]);
    for (const letter of chosen) {
      const i = decodable.indexOf(letter);
      const outcome = i < 0 ? undefined : result.outcomes[i];
      records.push({
        origin: originOf(letter),
        eventType: letter.eventType,
        outcome: outcome === 'applied' || outcome === 'stale' ? outcome : 'failed_again',
      });
    }
    selected += chosen.length;
  };

  const total = todo.reduce((sum, r) => sum + Math.max(0, r.high - r.low), 0);
  options.progress?.start(`replay ${topic} (${selection.reason})`, total);
  const remaining = new Map(
    todo.filter((r) => r.high > r.low).map((r) => [partitionKey(r.topic, r.partition), r.high]),
  );
  try {
    await producer.connect();
    if (remaining.size > 0) {
      let finish!: () => void;
      let fail!: (error: unknown) => void;
      const finished = new Promise<void>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const key = partitionKey(batch.topic, batch.partition);
          const end = remaining.get(key);
          if (end === undefined) return;
          try {
            const size = ops.config.worker.processing.maxEventsPerWrite;
            const messages = batch.messages.filter((m) => Number(m.offset) < end);
            for (let start = 0; start < messages.length && remaining.has(key); start += size) {
              let chunk = messages.slice(start, start + size);
              let letters = chunk.map((m) => readDeadLetter({ ...m, partition: batch.partition }, ops.logical));
              if (options.maxRecords !== undefined) {
                // Cut the chunk right after the dead letter that reaches the limit.
                let left = options.maxRecords - selected;
                const cut = letters.findIndex((l) => isSelected(l, selection) && --left === 0);
                if (cut >= 0) {
                  chunk = chunk.slice(0, cut + 1);
                  letters = letters.slice(0, cut + 1);
                  stoppedAtLimit = true;
                }
              }
              await replayChunk(letters);
              await options.hook?.('replay-applied');
              const next = Number(chunk[chunk.length - 1]!.offset) + 1;
              await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(next) }]);
              read += chunk.length;
              options.progress?.update(read);
              if (next >= end) remaining.delete(key);
              if (stoppedAtLimit) remaining.clear();
            }
            if (remaining.size === 0) finish();
          } catch (error) {
            remaining.clear();
            fail(error);
          }
        },
      });
      await finished;
    }
  } catch (error) {
    if (error instanceof Error && error.name.startsWith('KafkaJS')) throw toKafkaError(error, `replay ${topic}`);
    throw error;
  } finally {
    options.progress?.finish();
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await store.close();
  }
  const count = (o: ReplayOutcome) => records.filter((r) => r.outcome === o).length;
  return {
    topic,
    group,
    selection,
    read,
    selected,
    applied: count('applied'),
    stale: count('stale'),
    failedAgain: count('failed_again'),
    failedAgainByReason,
    stoppedAtLimit,
    records,
  };
}

/** The replay's summary as text. */
export function formatReplayReport(report: ReplayReport): string {
  const s = report.selection;
  const lines = [
    `replay of ${report.topic} (reason ${s.reason}${s.eventType ? `, event type ${s.eventType}` : ''}${s.since ? `, failed since ${s.since.toISOString()}` : ''}) with group ${report.group}`,
    `dead letters read ${report.read}, selected ${report.selected}: applied ${report.applied}, stale ${report.stale} (the document had moved past them), failed again ${report.failedAgain}` +
      (report.failedAgain > 0
        ? ` (${Object.entries(report.failedAgainByReason)
            .map(([r, n]) => `${r} ${n}`)
            .join(', ')}; written back with x-attempt increased)`
        : ''),
  ];
  if (report.stoppedAtLimit) lines.push('stopped at --max-records: run the same command again to go on');
  for (const r of report.records.slice(0, 20))
    lines.push(`  ${r.outcome.padEnd(12)} ${r.eventType.padEnd(24)} ${r.origin}`);
  if (report.records.length > 20) lines.push(`  … ${report.records.length - 20} more (--json lists them all)`);
  return lines.join('\n');
}

/** The `dlq replay` command. */
export const runDlqReplay: CommandRunner<'dlq-replay'> = async (command, { ops, progress, env, stderr }) => {
  const hook = testHoldFromEnv(env, stderr);
  const report = await replayDeadLetters(ops, command.worker, {
    selection: command.selection,
    ...(command.maxRecords === undefined ? {} : { maxRecords: command.maxRecords }),
    progress,
    ...(hook === undefined ? {} : { hook }),
  });
  return { exitCode: report.failedAgain > 0 ? 1 : 0, text: formatReplayReport(report), summary: { ...report } };
};
