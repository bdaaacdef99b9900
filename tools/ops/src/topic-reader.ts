// Reading topics from their start up to a snapshot of their end offsets, without
// committing anything: what `verify` folds and what `dlq list|show` groups.
import { randomBytes } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { toKafkaError } from '@sc/kafka-runtime';

/** The end offset (next offset to be written) and start offset of one partition. */
export interface PartitionRange {
  readonly topic: string;
  readonly partition: number;
  readonly low: number;
  readonly high: number;
}

/** `topic/partition`, the key of per-partition maps. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}/${partition}`;
}

/** The offsets of every partition of `topics` right now. */
export async function fetchRanges(admin: Admin, topics: readonly string[]): Promise<PartitionRange[]> {
  const ranges: PartitionRange[] = [];
  for (const topic of topics) {
    let offsets;
    try {
      offsets = await admin.fetchTopicOffsets(topic);
    } catch (error) {
      throw toKafkaError(error, `fetch the offsets of ${topic}`, { topic });
    }
    for (const p of [...offsets].sort((a, b) => a.partition - b.partition))
      ranges.push({ topic, partition: p.partition, low: Number(p.low), high: Number(p.high) });
  }
  return ranges;
}

/** The committed offset of `groupId` per partition (`topic/partition` → next offset to read; absent when none). */
export async function fetchCommitted(
  admin: Admin,
  groupId: string,
  topics: readonly string[],
): Promise<Map<string, number>> {
  let fetched;
  try {
    fetched = await admin.fetchOffsets({ groupId, topics: [...topics] });
  } catch (error) {
    throw toKafkaError(error, `fetch the offsets of group ${groupId}`, { groupId });
  }
  const committed = new Map<string, number>();
  for (const t of fetched)
    for (const p of t.partitions)
      if (Number(p.offset) >= 0) committed.set(partitionKey(t.topic, p.partition), Number(p.offset));
  return committed;
}

/** One batch of records of one partition, in offset order. */
export interface ReadBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly KafkaMessage[];
}

/**
 * Reads every record of `ranges` below their `high` offset, in order per partition,
 * and hands them to `onBatch` (awaited). It reads with a consumer group of its own
 * that commits nothing and is deleted afterwards. Resolves once every partition is
 * read up to its `high`.
 */
export async function readRanges(
  kafka: Kafka,
  admin: Admin,
  ranges: readonly PartitionRange[],
  onBatch: (batch: ReadBatch) => Promise<void> | void,
  options: { readonly groupPrefix: string },
): Promise<void> {
  const remaining = new Map(
    ranges.filter((r) => r.high > r.low).map((r) => [partitionKey(r.topic, r.partition), r.high]),
  );
  if (remaining.size === 0) return;
  const topics = [...new Set(ranges.map((r) => r.topic))];
  const groupId = `${options.groupPrefix}${randomBytes(4).toString('hex')}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
  let finish!: () => void;
  let fail!: (error: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) fail(event.payload.error);
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const key = partitionKey(batch.topic, batch.partition);
        const end = remaining.get(key);
        if (end === undefined) return;
        const messages = batch.messages.filter((m) => Number(m.offset) < end);
        try {
          if (messages.length > 0) await onBatch({ topic: batch.topic, partition: batch.partition, messages });
        } catch (error) {
          // The caller's failure ends the read; kafkajs would only retry the batch.
          remaining.clear();
          fail(error);
          return;
        }
        const last = batch.messages[batch.messages.length - 1];
        if (last !== undefined && Number(last.offset) + 1 >= end) {
          remaining.delete(key);
          if (remaining.size === 0) finish();
        }
      },
    });
    await finished;
  } catch (error) {
    if (error instanceof Error && error.name.startsWith('KafkaJS'))
      throw toKafkaError(error, `read ${topics.join(', ')}`);
    throw error;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}
