import { createToolKafkaClient, fetchGroupLag } from '@sc/kafka-runtime';
import type { ToolProducer } from '@sc/kafka-runtime';
import { topicMessagesOf } from '@sc/event-simulator';
import type { SimulatedRecord } from '@sc/event-simulator';
import type { Admin, IHeaders, Kafka, Message } from 'kafkajs';

/** A kafkajs client for tests, against `KAFKA_BROKERS`. */
export function testKafka(clientId = 'sc-test'): Kafka {
  const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').filter(Boolean);
  if (brokers.length === 0)
    throw new Error('KAFKA_BROKERS is not set: run the tests through jest with the @sc/testing global setup');
  return createToolKafkaClient({ clientId, brokers });
}

/** Creates topics (if missing) and waits for their leaders. */
export async function createTopics(admin: Admin, topics: readonly string[], numPartitions: number): Promise<void> {
  await admin.createTopics({ topics: topics.map((topic) => ({ topic, numPartitions })), waitForLeaders: true });
}

/**
 * Sends messages in order, in chunks acknowledged by all replicas, on a producer of
 * `createToolProducer` (each chunk at least once).
 */
export async function produceAll(
  producer: Pick<ToolProducer, 'sendBatch'>,
  topic: string,
  messages: readonly Message[],
  chunk = 1000,
): Promise<void> {
  for (let i = 0; i < messages.length; i += chunk) {
    await producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages: messages.slice(i, i + chunk) }] });
  }
}

/**
 * Sends simulated records in stream order, `chunk` at a time, each chunk as one batch
 * grouped by topic ({@link topicMessagesOf}: topics named with `prefix`, one entity's
 * records in order), acknowledged by all replicas, at least once on a `createToolProducer`.
 */
export async function produceRecords(
  producer: Pick<ToolProducer, 'sendBatch'>,
  records: readonly SimulatedRecord[],
  prefix: string,
  chunk = 1000,
): Promise<void> {
  for (let i = 0; i < records.length; i += chunk)
    await producer.sendBatch({ acks: -1, topicMessages: topicMessagesOf(records.slice(i, i + chunk), prefix) });
}

/** A record read back from a topic, headers as strings. */
export interface ReadRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/** Reads every record of a topic up to its end offsets at call time. */
export async function readTopic(kafka: Kafka, topic: string, timeoutMs = 30000): Promise<ReadRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.filter((p) => p.high !== p.low).map((p) => [p.partition, BigInt(p.high)]));
  const records: ReadRecord[] = [];
  if (remaining.size === 0) return records;
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`reading ${topic} timed out with ${records.length} records`)),
      timeoutMs,
    );
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        records.push({
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers: headersAsStrings(message.headers),
        });
        const end = remaining.get(partition);
        if (end !== undefined && BigInt(message.offset) + 1n >= end) remaining.delete(partition);
        if (remaining.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  try {
    await done;
  } finally {
    await consumer.disconnect();
  }
  return records;
}

/** Kafka headers as plain strings. */
export function headersAsStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.map(String).join(',') : String(value);
  }
  return out;
}

/** Total lag of a consumer group over some topics: end offsets minus committed offsets. */
export async function groupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<number> {
  return (await fetchGroupLag(admin, groupId, topics)).reduce((sum, p) => sum + p.lag, 0);
}

/** Polls `check` until it returns true, or throws with `what` after `timeoutMs`. */
export async function eventually(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 60000,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}
