import type { Admin, Producer } from 'kafkajs';
import { DOMAIN_TOPICS } from '@sc/event-schemas';
import type { SimulatedRecord } from '@sc/event-simulator';
import { PROJECTIONS } from './projections';

/** Creates the four domain topics and the three dead-letter topics if they do not exist. */
export async function ensureTopics(admin: Admin, prefix: string, partitions: number): Promise<void> {
  const wanted = [...Object.values(DOMAIN_TOPICS), ...PROJECTIONS.map((p) => p.deadLetterTopic)].map(
    (t) => `${prefix}${t}`,
  );
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t));
  if (missing.length > 0)
    await admin.createTopics({
      topics: missing.map((topic) => ({ topic, numPartitions: partitions })),
      waitForLeaders: true,
    });
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

const CHUNK = 2000;

/**
 * Publishes records in order, in chunks per topic (one entity's records stay in
 * order: same key, same partition). Returns how many were sent.
 */
export async function publishRecords(
  producer: Producer,
  records: readonly SimulatedRecord[],
  options: PublishOptions,
): Promise<number> {
  const started = Date.now();
  const chunkSize = options.rate > 0 ? Math.max(1, Math.min(CHUNK, Math.round(options.rate / 10))) : CHUNK;
  let sent = 0;
  while (sent < records.length && !options.signal.aborted) {
    if (options.durationMs > 0 && Date.now() - started >= options.durationMs) break;
    const chunk = records.slice(sent, sent + chunkSize);
    const byTopic = new Map<string, { key: string | null; value: string | null }[]>();
    for (const r of chunk) {
      const list = byTopic.get(r.topic) ?? [];
      list.push({ key: r.key, value: r.value });
      byTopic.set(r.topic, list);
    }
    await producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic: `${options.prefix}${topic}`, messages })),
    });
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
