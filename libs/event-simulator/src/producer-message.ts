import type { SimulatedRecord } from './stream';

/** What a producer sends for a simulated record: its key and value, and the partition of a keyless one. */
export interface ProducerMessage {
  readonly key: string | null;
  readonly value: string | null;
  readonly partition?: number;
}

/**
 * The message a producer sends for `record`. A record without a key goes to partition
 * 0. kafkajs spreads keyless messages round-robin with a counter that moves on every
 * attempt of a send, so a retried send put them on other partitions than the attempt
 * the broker had partly written; its idempotent producer, which reuses the first
 * attempt's sequence numbers, then got OUT_OF_ORDER_SEQUENCE_NUMBER from the broker and
 * failed every later send (tulios/kafkajs#598; seen in CI on topics created a moment
 * before). Pinned, every attempt of a batch is the same batch, which the broker
 * recognises as a duplicate.
 */
export function producerMessageOf(record: Pick<SimulatedRecord, 'key' | 'value'>): ProducerMessage {
  return record.key === null
    ? { key: null, value: record.value, partition: 0 }
    : { key: record.key, value: record.value };
}

/**
 * The `topicMessages` of one `sendBatch` for `records`: a group per topic (named with
 * `prefix`) in the order the topics first appear, each record's message in stream order
 * (one entity's records stay in order: same key, same partition).
 */
export function topicMessagesOf(
  records: readonly SimulatedRecord[],
  prefix: string,
): { topic: string; messages: ProducerMessage[] }[] {
  const byTopic = new Map<string, ProducerMessage[]>();
  for (const r of records) {
    const list = byTopic.get(r.topic) ?? [];
    list.push(producerMessageOf(r));
    byTopic.set(r.topic, list);
  }
  return [...byTopic].map(([topic, messages]) => ({ topic: `${prefix}${topic}`, messages }));
}
