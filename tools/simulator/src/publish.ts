import type { Admin } from 'kafkajs';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { topicMessagesOf } from '@sc/event-simulator';
import type { SimulatedRecord } from '@sc/event-simulator';
import { provisionTopics } from '@sc/kafka-runtime';
import type { ToolProducer } from '@sc/kafka-runtime';
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

/** Options of {@link publishRecords}. */
export interface PublishOptions {
  readonly prefix: string;
  /** Events per second; 0 for as fast as the broker takes them. */
  readonly rate: number;
  /** Stop after this many ms (0: never). */
  readonly durationMs: number;
  readonly signal: AbortSignal;
  readonly onProgress?: (sent: number) => void;
}

const CHUNK = 10000;

/**
 * Publishes records in order, in chunks per topic (one entity's records stay in
 * order: same key, same partition), each chunk at least once when `producer` is a
 * {@link ToolProducer}. Returns how many were sent.
 */
export async function publishRecords(
  producer: Pick<ToolProducer, 'sendBatch'>,
  records: readonly SimulatedRecord[],
  options: PublishOptions,
): Promise<number> {
  const started = Date.now();
  const chunkSize = options.rate > 0 ? Math.max(1, Math.min(CHUNK, Math.round(options.rate / 10))) : CHUNK;
  let sent = 0;
  while (sent < records.length && !options.signal.aborted) {
    if (options.durationMs > 0 && Date.now() - started >= options.durationMs) break;
    const chunk = records.slice(sent, sent + chunkSize);
    await producer.sendBatch({ acks: -1, topicMessages: topicMessagesOf(chunk, options.prefix) });
    sent += chunk.length;
    options.onProgress?.(sent);
    if (options.rate > 0) {
      const due = started + (sent / options.rate) * 1000;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
  return sent;
}
