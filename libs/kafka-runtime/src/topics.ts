import type { Admin, ITopicConfig } from 'kafkajs';
import { backoffDelay, describeError, sleep } from '@sc/service-kit';
import type { BackoffPolicy } from '@sc/service-kit';

/** Options of {@link provisionTopics}. */
export interface ProvisionOptions {
  /** Create the topics that do not exist; otherwise only wait for their leaders. Default true. */
  readonly create?: boolean;
  /** How long the topics may take to exist and have a leader on every partition. Default 60 s. */
  readonly timeoutMs?: number;
  readonly backoff?: BackoffPolicy;
  readonly signal?: AbortSignal;
  /** Told of each retriable failure before the wait (for logs). */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** What {@link provisionTopics} did. */
export interface ProvisionResult {
  /** Topics this call created. */
  readonly created: readonly string[];
  /** Partitions per topic, once every one of them has a leader. */
  readonly partitions: ReadonlyMap<string, number>;
}

const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 2000 };

/**
 * Kafka's own verdict on an error: kafkajs marks broker errors that a retry may fix
 * (UNKNOWN_TOPIC_OR_PARTITION, LEADER_NOT_AVAILABLE, NOT_CONTROLLER, connection
 * failures …) `retriable`, and wraps exhausted retries of them.
 */
export function isRetriableKafkaError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const e = error as Error & { retriable?: boolean; originalError?: unknown; errors?: unknown[] };
  if (e.name === 'KafkaJSNumberOfRetriesExceeded' || e.name === 'KafkaJSConnectionError') return true;
  if (e.name === 'KafkaJSAggregateError' && Array.isArray(e.errors)) return e.errors.every(isRetriableKafkaError);
  if (e.retriable === true) return true;
  return e.originalError !== undefined && isRetriableKafkaError(e.originalError);
}

/** Topic names whose partitions do not all have a leader yet (or that the broker does not know yet). */
async function topicsWithoutLeaders(
  admin: Admin,
  topics: readonly string[],
  partitions: Map<string, number>,
): Promise<string[]> {
  const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
  const waiting = new Set(topics);
  for (const topic of metadata.topics) {
    if (topic.partitions.length > 0 && topic.partitions.every((p) => p.leader >= 0)) {
      waiting.delete(topic.name);
      partitions.set(topic.name, topic.partitions.length);
    }
  }
  return [...waiting];
}

/**
 * Makes sure topics exist and every partition has a leader, whoever creates them.
 *
 * A topic that another client is creating at the same moment makes kafkajs's
 * `createTopics` return at once, before its leaders are elected, and a produce
 * right then fails with "This server does not host this topic-partition" (on a
 * broker that has just started, for seconds). So this always waits for the
 * leaders in the metadata, retrying what Kafka calls retriable with backoff, and
 * fails with a message naming the topics when `timeoutMs` runs out.
 */
export async function provisionTopics(
  admin: Admin,
  topics: readonly ITopicConfig[],
  options: ProvisionOptions = {},
): Promise<ProvisionResult> {
  const names = topics.map((t) => t.topic);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  const created = new Set<string>();
  const partitions = new Map<string, number>();
  let waiting = names;
  let lastError: unknown;
  for (let attempt = 1; !options.signal?.aborted; attempt++) {
    try {
      if (options.create ?? true) {
        const existing = new Set(await admin.listTopics());
        const missing = topics.filter((t) => !existing.has(t.topic));
        // `false` when another client created some of them meanwhile: the wait below covers it.
        if (missing.length > 0 && (await admin.createTopics({ topics: missing, waitForLeaders: true })))
          for (const t of missing) created.add(t.topic);
      }
      waiting = await topicsWithoutLeaders(admin, names, partitions);
      if (waiting.length === 0) return { created: [...created], partitions };
      lastError = undefined;
    } catch (error) {
      if (!isRetriableKafkaError(error)) throw error;
      lastError = error;
    }
    const delayMs = backoffDelay(attempt, options.backoff ?? DEFAULT_BACKOFF);
    if (Date.now() + delayMs > deadline) break;
    if (lastError !== undefined) options.onRetry?.(lastError, attempt, delayMs);
    await sleep(delayMs, options.signal);
  }
  if (options.signal?.aborted) return { created: [...created], partitions };
  throw new Error(
    `topics not ready after ${Math.round(timeoutMs / 1000)} s (no leader on every partition): ${waiting.join(', ')}` +
      (lastError === undefined ? '' : `; last error: ${describeError(lastError)}`) +
      '. Is the broker up and healthy (a controller elected, enough brokers for the replication factor)?',
  );
}
