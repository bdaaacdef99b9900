import type { Admin, Producer } from 'kafkajs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { producerMessageOf } from '@sc/event-simulator';
import type { ProducerMessage, SimulatedRecord } from '@sc/event-simulator';
import { provisionTopics } from '@sc/kafka-runtime';
import { describeError } from '@sc/service-kit';

/** One topic of deploy/topics.json. */
export interface TopicDeclaration {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly config: Readonly<Record<string, string>>;
}

/** The topic declaration shared with the Kubernetes provisioning Job. */
export function readTopicDeclaration(): TopicDeclaration[] {
  const file = resolve(__dirname, '../../../deploy/topics.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { topics: TopicDeclaration[] }).topics;
}

/**
 * Creates the declared topics that do not exist (idempotent), with the declared
 * partitions and configs, and waits until every partition has a leader, whoever
 * created them (the workers may be creating them at the same moment). The
 * replication factor is capped at the brokers there are, and `partitions`
 * overrides the declaration when given. Returns what it did.
 */
export async function ensureTopics(admin: Admin, prefix: string, partitions?: number): Promise<string[]> {
  const declared = readTopicDeclaration();
  const brokers = (await admin.describeCluster()).brokers.length;
  const result = await provisionTopics(
    admin,
    declared.map((t) => ({
      topic: `${prefix}${t.name}`,
      numPartitions: partitions ?? t.partitions,
      replicationFactor: Math.min(t.replicationFactor, brokers),
      configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })),
    })),
    { onRetry: (error) => console.error(`waiting for the topics' leaders: ${describeError(error)}`) },
  );
  const report = declared.map(
    (t) => `${prefix}${t.name}: ${result.created.includes(`${prefix}${t.name}`) ? 'created' : 'exists'}`,
  );
  for (const t of declared) {
    const want = partitions ?? t.partitions;
    const has = result.partitions.get(`${prefix}${t.name}`);
    if (has !== want) report.push(`${prefix}${t.name}: has ${has} partitions, declared ${want}`);
  }
  return report;
}

/** Opens a connected producer for {@link publishRecords}. */
export type OpenProducer = () => Promise<Producer>;

/** Options of {@link publishRecords}. */
export interface PublishOptions {
  readonly prefix: string;
  /** Events per second; 0 for as fast as the broker takes them. */
  readonly rate: number;
  /** Stop after this many ms (0: never). */
  readonly durationMs: number;
  readonly signal: AbortSignal;
  readonly onProgress?: (sent: number) => void;
  /** Called before a chunk that failed is sent again on a new producer (attempt: the one that failed, from 1). */
  readonly onResend?: (error: unknown, attempt: number) => void;
  /** Pause before a chunk's next attempt, times the attempts so far (default 500 ms). */
  readonly resendPauseMs?: number;
}

const CHUNK = 10000;
/** Sends of one chunk before publishing gives up with the last error. */
export const CHUNK_ATTEMPTS = 5;
const RESEND_PAUSE_MS = 500;

type Batch = Parameters<Producer['sendBatch']>[0];

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

/**
 * Publishes records in order, in chunks per topic (one entity's records stay in
 * order: same key, same partition), on producers from `openProducer`, each chunk at
 * least once (see {@link sendChunk}). Returns how many were sent.
 */
export async function publishRecords(
  openProducer: OpenProducer,
  records: readonly SimulatedRecord[],
  options: PublishOptions,
): Promise<number> {
  const started = Date.now();
  const chunkSize = options.rate > 0 ? Math.max(1, Math.min(CHUNK, Math.round(options.rate / 10))) : CHUNK;
  let sent = 0;
  let producer: Producer | undefined = await openProducer();
  try {
    while (sent < records.length && !options.signal.aborted) {
      if (options.durationMs > 0 && Date.now() - started >= options.durationMs) break;
      const chunk = records.slice(sent, sent + chunkSize);
      // sendChunk owns the producer until it returns one that sent the chunk.
      const sending: Producer = producer!;
      producer = undefined;
      producer = await sendChunk(sending, openProducer, options, {
        acks: -1,
        topicMessages: topicMessagesOf(chunk, options.prefix),
      });
      sent += chunk.length;
      options.onProgress?.(sent);
      if (options.rate > 0) {
        const due = started + (sent / options.rate) * 1000;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    }
  } finally {
    await producer?.disconnect().catch(() => undefined);
  }
  return sent;
}

/**
 * Sends one chunk at least once, and returns the producer that sent it. A producer whose
 * send failed is disconnected and not trusted again (the last one too, when the attempts
 * run out): kafkajs's idempotent producer can fall out of step with the broker's
 * sequence numbers (OUT_OF_ORDER_SEQUENCE_NUMBER,
 * tulios/kafkajs#598; see `producerMessageOf` for the cause met here) and then fails
 * every later send. A new producer has a new producer id, whose sequences start again,
 * and sends the chunk again: what the broker had written of it is then there twice,
 * like the stream's own duplicates, which the workers skip by version.
 */
async function sendChunk(
  producer: Producer,
  openProducer: OpenProducer,
  options: PublishOptions,
  batch: Batch,
): Promise<Producer> {
  let current = producer;
  for (let attempt = 1; ; attempt++) {
    try {
      await current.sendBatch(batch);
      return current;
    } catch (error) {
      await current.disconnect().catch(() => undefined);
      if (attempt >= CHUNK_ATTEMPTS || options.signal.aborted) throw error;
      options.onResend?.(error, attempt);
      await new Promise((r) => setTimeout(r, (options.resendPauseMs ?? RESEND_PAUSE_MS) * attempt));
      current = await openProducer();
    }
  }
}
