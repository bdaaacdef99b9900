import type { Admin, Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import { deadLetterTopicOf } from '@sc/event-schemas';
import type { DomainEvent } from '@sc/event-schemas';
import { ProjectionError, backoffDelay, describeError, isRetriable, sleep } from '@sc/service-kit';
import type { Logger } from '@sc/service-kit';
import { applyIsolating, decodeChunk, judgeChunk } from './chunk';
import type { ChunkRecord, ProjectionSink, SinkOutcome } from './chunk';
import type { WorkerConfig } from './config';
import { buildDeadLetterMessage } from './dead-letter';
import { startHealthServer } from './health-server';
import type { HealthServer } from './health-server';
import { createKafkaClient, toKafkaError } from './kafka-client';
import { createWorkerMetrics } from './metrics';
import { provisionTopics } from './topics';
import type { WorkerMetrics } from './metrics';

/** An opened sink and how to release it. */
export interface SinkHandle<TEvent extends DomainEvent> {
  readonly sink: ProjectionSink<TEvent>;
  readonly close: () => Promise<void>;
}

/** Options of {@link createProjectionWorker}. */
export interface ProjectionWorkerOptions<TEvent extends DomainEvent> {
  readonly config: WorkerConfig;
  readonly logger: Logger;
  /** The projection's name, a label on every metric (e.g. `user_cards`). */
  readonly projection: string;
  /** The contract's consumer group, e.g. `sc-proj-user-cards` (KAFKA_NAME_PREFIX is added). */
  readonly group: string;
  /** The contract's domain topics the group reads (KAFKA_NAME_PREFIX is added). */
  readonly topics: readonly string[];
  /** Connects the read-model store; retried with backoff while it fails retriably. */
  readonly openSink: () => Promise<SinkHandle<TEvent>>;
  /** Called once if the consumer crashes beyond kafkajs's own recovery. */
  readonly onFatal?: (error: unknown) => void;
}

/** A running projection worker. */
export interface ProjectionWorker {
  /** Serves the probes, opens the store, waits for the topics and starts consuming. */
  start(): Promise<void>;
  /** Stops fetching, finishes and commits the batch in flight, disconnects everything. Idempotent. */
  stop(): Promise<void>;
  /** Why the worker is not ready; empty when it is. */
  notReadyReasons(): Promise<string[]>;
  readonly metrics: WorkerMetrics;
  /** The port of the probe server once started (useful with HTTP_PORT=0). */
  httpPort(): number | undefined;
}

interface RetryOutcome<T> {
  readonly value: T;
  readonly attempts: number;
}

const READINESS_PING_TIMEOUT_MS = 2000;
const MISSING_TOPIC_POLL_MS = 5000;

/**
 * Runs one projection: consumes its group's topics in batches, hands decoded events
 * to the sink, dead-letters what the contract says to, and commits offsets only
 * after the sink and the dead-letter topic have acknowledged.
 */
export function createProjectionWorker<TEvent extends DomainEvent>(
  options: ProjectionWorkerOptions<TEvent>,
): ProjectionWorker {
  const { config, projection } = options;
  const logger = options.logger.child({ group: options.group });
  const prefix = config.kafka.namePrefix;
  const groupId = `${prefix}${options.group}`;
  const deadLetterTopic = `${prefix}${deadLetterTopicOf(options.group)}`;
  const sourceTopics = options.topics.map((t) => `${prefix}${t}`);
  const logicalTopic = (physical: string): string =>
    physical.startsWith(prefix) ? physical.slice(prefix.length) : physical;
  const metrics = createWorkerMetrics(projection);
  const abort = new AbortController();

  let health: HealthServer | undefined;
  let sinkHandle: SinkHandle<TEvent> | undefined;
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let consumer: Consumer | undefined;
  let joined = false;
  let crashed = false;
  let missingTopics: string[] = [];
  let stopPromise: Promise<void> | undefined;
  const retrying = new Map<string, string>();

  const stopping = (): boolean => abort.signal.aborted;

  /** Runs `fn` until it succeeds; retriable errors wait with backoff, others are thrown. Undefined if told to give up. */
  async function retryRetriable<T>(
    operation: string,
    key: string,
    fn: () => Promise<T>,
    keepGoing: () => boolean = () => !stopping(),
    whileWaiting?: () => Promise<void>,
  ): Promise<RetryOutcome<T> | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        const value = await fn();
        if (retrying.delete(key)) logger.info({ operation, key, attempts: attempt }, `${operation}: recovered`);
        return { value, attempts: attempt };
      } catch (error) {
        if (!isRetriable(error)) {
          retrying.delete(key);
          throw error;
        }
        const delayMs = backoffDelay(attempt, config.retry);
        retrying.set(key, `${operation} failing (attempt ${attempt})`);
        metrics.retries.inc({ operation });
        const located = error instanceof ProjectionError ? { code: error.code, context: error.context } : {};
        logger.warn(
          { operation, key, attempt, delayMs, ...located, cause: describeError(error) },
          `${operation} failed; retrying`,
        );
        await sleep(delayMs, abort.signal);
        if (!keepGoing()) {
          retrying.delete(key);
          return undefined;
        }
        await whileWaiting?.();
      }
    }
  }

  /** Processes one chunk of one partition; false when it must not be committed (stopping, revoked). */
  async function processChunk(payload: EachBatchPayload, messages: KafkaMessage[]): Promise<boolean> {
    const { batch, heartbeat, isRunning, isStale } = payload;
    const where = { topic: batch.topic, partition: batch.partition };
    const key = `${batch.topic}/${batch.partition}`;
    const keepGoing = (): boolean => isRunning() && !isStale() && !stopping();
    const stopTimer = metrics.batchDuration.startTimer();
    const records: ChunkRecord[] = messages.map((m) => ({
      offset: m.offset,
      key: m.key,
      value: m.value,
      headers: m.headers,
    }));
    const decoded = decodeChunk<TEvent>(logicalTopic(batch.topic), records);

    let outcomes: readonly SinkOutcome[] = [];
    let attempts = 1;
    if (decoded.events.length > 0) {
      const sink = sinkHandle!.sink;
      const applied = await retryRetriable(
        'write to store',
        key,
        // The error carries the partition and the chunk's first offset into the retry log.
        () =>
          applyIsolating(sink, decoded.events, (error) =>
            logger.error(
              { ...where, events: decoded.events.length, cause: describeError(error) },
              'store refused the batch; applying its events one by one',
            ),
          ).catch((e: unknown) =>
            Promise.reject(e instanceof ProjectionError ? e.withContext({ ...where, offset: records[0]?.offset }) : e),
          ),
        keepGoing,
        heartbeat,
      );
      if (applied === undefined) return false;
      outcomes = applied.value.outcomes;
      attempts = applied.attempts;
      metrics.storeCommands.inc(applied.value.commands);
      metrics.storeConflicts.inc(applied.value.conflicts);
    }

    const verdicts = judgeChunk(decoded, outcomes);
    const dead = verdicts.filter((v) => v.outcome === 'dead_lettered');
    if (dead.length > 0) {
      const failedAt = new Date();
      const messagesOut = dead.map((v) =>
        buildDeadLetterMessage(
          { ...where, ...v.record },
          {
            reason: v.reason ?? 'handler_error',
            detail: v.detail ?? '',
            consumerGroup: groupId,
            attempt: attempts,
            failedAt,
          },
        ),
      );
      const sent = await retryRetriable(
        'send to dead-letter topic',
        key,
        () =>
          producer!
            .send({ topic: deadLetterTopic, acks: -1, messages: messagesOut })
            .catch((e: unknown) => Promise.reject(toKafkaError(e, `send to ${deadLetterTopic}`, where))),
        keepGoing,
        heartbeat,
      );
      if (sent === undefined) return false;
      for (const v of dead) {
        logger.warn(
          {
            ...where,
            offset: v.record.offset,
            eventId: v.eventId,
            eventType: v.eventType,
            reason: v.reason,
            detail: v.detail,
            deadLetterTopic,
          },
          'record dead-lettered',
        );
      }
    }

    metrics.consumed.inc({ topic: batch.topic }, records.length);
    metrics.batchSize.observe(records.length);
    for (const v of verdicts) {
      metrics.events.inc({ event_type: metrics.eventTypeLabel(v.eventType), outcome: v.outcome });
      if (v.reason) metrics.deadLettered.inc({ reason: v.reason });
    }
    stopTimer();
    logger.debug(
      { ...where, fromOffset: records[0]?.offset, toOffset: records.at(-1)?.offset, records: records.length, attempts },
      'chunk processed',
    );
    return true;
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale } = payload;
    const size = config.processing.maxEventsPerWrite;
    for (let start = 0; start < batch.messages.length; start += size) {
      if (!isRunning() || isStale() || stopping()) return;
      const chunk = batch.messages.slice(start, start + size);
      if (!(await processChunk(payload, chunk))) return;
      const last = chunk[chunk.length - 1]!.offset;
      // Resolved only now: the store and the dead-letter topic have acknowledged everything up to `last`.
      resolveOffset(last);
      await commitOffsetsIfNecessary();
      metrics.lag.set(
        { topic: batch.topic, partition: String(batch.partition) },
        Math.max(0, Number(batch.highWatermark) - Number(last) - 1),
      );
      await heartbeat();
    }
  }

  async function waitForTopics(): Promise<boolean> {
    const wanted = [...sourceTopics, deadLetterTopic];
    let lastComplaint = 0;
    while (!stopping()) {
      const listed = await retryRetriable('list topics', 'admin', () =>
        admin!.listTopics().catch((e: unknown) => Promise.reject(toKafkaError(e, 'list topics'))),
      );
      if (listed === undefined) return false;
      const existing = new Set(listed.value);
      missingTopics = wanted.filter((t) => !existing.has(t));
      if (missingTopics.length === 0 || config.kafka.createTopics) {
        if (missingTopics.length > 0)
          logger.info({ topics: missingTopics, partitions: config.kafka.topicPartitions }, 'creating missing topics');
        const topics = wanted.map((topic) => ({
          topic,
          numPartitions: config.kafka.topicPartitions,
          replicationFactor: config.kafka.topicReplicationFactor,
        }));
        // Existing topics too: they may have been created a moment ago, by us or anyone, without leaders yet.
        const ready = await retryRetriable('provision topics', 'admin', () =>
          provisionTopics(admin!, topics, {
            create: config.kafka.createTopics,
            signal: abort.signal,
            onRetry: (error, attempt) =>
              logger.info({ attempt, cause: describeError(error) }, 'waiting for the topics to have leaders'),
          }).catch((e: unknown) => Promise.reject(toKafkaError(e, 'provision topics'))),
        );
        if (ready === undefined) return false;
        missingTopics = [];
        return !stopping();
      }
      if (Date.now() - lastComplaint > 60_000) {
        lastComplaint = Date.now();
        logger.error(
          { topics: missingTopics },
          'topics do not exist; waiting for them (set KAFKA_CREATE_TOPICS=true to create them)',
        );
      }
      await sleep(MISSING_TOPIC_POLL_MS, abort.signal);
    }
    return false;
  }

  async function notReadyReasons(): Promise<string[]> {
    const reasons: string[] = [];
    if (crashed) reasons.push('consumer crashed');
    if (!sinkHandle) reasons.push('store not connected');
    if (!consumer) reasons.push('Kafka not connected');
    if (missingTopics.length > 0) reasons.push(`missing topics: ${missingTopics.join(', ')}`);
    if (!joined) reasons.push('consumer group not joined');
    reasons.push(...retrying.values());
    if (sinkHandle) {
      const timeout = sleep(READINESS_PING_TIMEOUT_MS).then(() => Promise.reject(new Error('store ping timed out')));
      await Promise.race([sinkHandle.sink.ping(), timeout]).catch((error: unknown) =>
        reasons.push(`store: ${describeError(error)}`),
      );
    }
    metrics.ready.set(reasons.length === 0 ? 1 : 0);
    return reasons;
  }

  async function start(): Promise<void> {
    health = await startHealthServer(
      { isAlive: () => !crashed, notReadyReasons, registry: metrics.registry },
      config.http.host,
      config.http.port,
    );
    logger.info(
      { port: health.port, topics: sourceTopics, deadLetterTopic },
      'probes listening on /livez /readyz /metrics',
    );

    const opened = await retryRetriable('open store', 'store', options.openSink);
    if (opened === undefined) return;
    sinkHandle = opened.value;
    // stop() may have come while the store was opening: it closes what exists by then.
    if (stopping()) {
      await sinkHandle.close();
      return;
    }

    const kafka = createKafkaClient(config.kafka, logger);
    admin = kafka.admin();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    consumer = kafka.consumer({
      groupId,
      sessionTimeout: config.kafka.sessionTimeoutMs,
      heartbeatInterval: config.kafka.heartbeatIntervalMs,
      maxWaitTimeInMs: config.kafka.maxWaitMs,
      maxBytesPerPartition: config.kafka.maxBytesPerPartition,
      allowAutoTopicCreation: false,
    });
    const { GROUP_JOIN, REBALANCING, CRASH, STOP } = consumer.events;
    consumer.on(GROUP_JOIN, (event) => {
      joined = true;
      logger.info(
        { memberId: event.payload.memberId, assignment: event.payload.memberAssignment },
        'joined consumer group',
      );
    });
    consumer.on(REBALANCING, () => {
      joined = false;
    });
    consumer.on(STOP, () => {
      joined = false;
    });
    consumer.on(CRASH, (event) => {
      joined = false;
      const { error, restart } = event.payload;
      if (restart) {
        logger.warn({ cause: describeError(error) }, 'consumer failed; kafkajs restarts it');
        return;
      }
      crashed = true;
      logger.fatal({ cause: describeError(error) }, 'consumer crashed and will not restart');
      options.onFatal?.(error);
    });

    const connected = await retryRetriable('connect to Kafka', 'kafka', () =>
      Promise.all([admin!.connect(), producer!.connect(), consumer!.connect()]).catch((e: unknown) =>
        Promise.reject(toKafkaError(e, 'connect')),
      ),
    );
    if (connected === undefined || !(await waitForTopics()) || stopping()) return;

    await consumer.subscribe({ topics: sourceTopics, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: config.processing.partitionsConcurrency,
      eachBatchAutoResolve: false,
      autoCommit: true,
      // Commit as soon as anything is resolved: each chunk is committed once it is acknowledged.
      autoCommitThreshold: 1,
      eachBatch,
    });
    logger.info({ groupId, topics: sourceTopics }, 'consuming');
  }

  async function stop(): Promise<void> {
    stopPromise ??= (async () => {
      abort.abort();
      logger.info('stopping: leaving the group after the batch in flight');
      const quietly = async (what: string, fn: (() => Promise<void>) | undefined): Promise<void> => {
        try {
          await fn?.();
        } catch (error) {
          logger.warn({ cause: describeError(error) }, `${what} failed during stop`);
        }
      };
      // disconnect() waits for the running eachBatch, which stops at its next chunk boundary.
      await quietly('consumer disconnect', consumer && (() => consumer!.disconnect()));
      await quietly('producer disconnect', producer && (() => producer!.disconnect()));
      await quietly('admin disconnect', admin && (() => admin!.disconnect()));
      await quietly('store close', sinkHandle?.close);
      await quietly('probe server close', health?.close);
      metrics.ready.set(0);
    })();
    return stopPromise;
  }

  return { start, stop, notReadyReasons, metrics, httpPort: () => health?.port };
}
