import type { Admin, Consumer, ConsumerRunConfig } from 'kafkajs';
import type { Registry } from 'prom-client';
import { deadLetterTopicOf } from '@sc/event-schemas';
import type { DomainEvent } from '@sc/event-schemas';
import { describeError, sleep } from '@sc/service-kit';
import type { Logger } from '@sc/service-kit';
import type { ProjectionSink } from '@sc/projection-core';
import { createBatchHandler } from './batch-handler';
import type { BatchHandler } from './batch-handler';
import { createChunkProcessor } from './chunk-processor';
import { createConsumerRecovery } from './consumer-recovery';
import type { WorkerConfig } from './config';
import { deadLetterPartitioner } from './dead-letter';
import { operatorActionOf } from './dead-letter-sender';
import { startHealthServer } from './health-server';
import type { HealthServer } from './health-server';
import { createKafkaClient, toKafkaError } from './kafka-client';
import { createWorkerMetrics } from './metrics';
import type { WorkerMetrics } from './metrics';
import { createBackgroundCommits } from './offset-committer';
import type { BackgroundCommits } from './offset-committer';
import { createPauseFence } from './pause-fence';
import type { PauseFence } from './pause-fence';
import type { PauseGate } from './pause-gate';
import { createRenewingProducer } from './renewing-producer';
import type { RenewingProducer } from './renewing-producer';
import { createRetrier } from './retrier';
import { provisionTopics } from './topics';

/** An opened sink and how to release it. */
export interface SinkHandle<TEvent extends DomainEvent> {
  readonly sink: ProjectionSink<TEvent>;
  readonly close: () => Promise<void>;
  /** Operator pause requests the worker honours before every chunk; none: never paused. */
  readonly gate?: PauseGate;
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
  /** Connects the read-model store; retried with backoff while it fails retriably. The store registers its own metrics. */
  readonly openSink: (context: { readonly registry: Registry }) => Promise<SinkHandle<TEvent>>;
  /** Called once if the consumer crashes on an error that is not the broker's trouble (the process must end). */
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

/** Kafka clients, opened together: none exists without the others. */
interface KafkaConnections {
  readonly admin: Admin;
  /** The dead-letter producer: replaced after a failed send, which the chunk's retry sends again. */
  readonly producer: RenewingProducer;
  readonly consumer: Consumer;
  /** The consumer's offset commits, in the background. */
  readonly commits: BackgroundCommits;
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
  const stopping = (): boolean => abort.signal.aborted;
  const retrier = createRetrier({
    policy: config.retry,
    logger,
    signal: abort.signal,
    onRetry: (operation) => metrics.retries.inc({ operation }),
    holdsOn: operatorActionOf,
  });

  let health: HealthServer | undefined;
  let sinkHandle: SinkHandle<TEvent> | undefined;
  let kafka: KafkaConnections | undefined;
  let fence: PauseFence | undefined;
  /** The consumer's `eachBatch`, once it runs. */
  let batches: BatchHandler | undefined;
  let memberId: string | undefined;
  let joined = false;
  /** Connects and runs the consumer again after a crash kafkajs does not recover from; set once it runs. */
  let restartConsumer: (() => Promise<void>) | undefined;
  const recovery = createConsumerRecovery({
    restart: async () => {
      if (!restartConsumer) throw new Error('the consumer crashed before it ever ran');
      await restartConsumer();
    },
    retrier,
    policy: config.retry,
    logger,
    signal: abort.signal,
    onFatal: (error) => options.onFatal?.(error),
    onRestart: () => metrics.consumerRestarts.inc(),
  });
  let missingTopics: string[] = [];
  let stopPromise: Promise<void> | undefined;

  /** Waits until the topics exist (creating them if configured) and every partition has a leader. */
  async function waitForTopics(admin: Admin): Promise<boolean> {
    const wanted = [...sourceTopics, deadLetterTopic];
    let lastComplaint = 0;
    while (!stopping()) {
      const listed = await retrier.run('list topics', 'admin', () =>
        admin.listTopics().catch((e: unknown) => Promise.reject(toKafkaError(e, 'list topics'))),
      );
      if (listed.status === 'stopped') return false;
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
        const ready = await retrier.run('provision topics', 'admin', () =>
          provisionTopics(admin, topics, {
            create: config.kafka.createTopics,
            signal: abort.signal,
            onRetry: (error, attempt) =>
              logger.info({ attempt, cause: describeError(error) }, 'waiting for the topics to have leaders'),
          }).catch((e: unknown) => Promise.reject(toKafkaError(e, 'provision topics'))),
        );
        if (ready.status === 'stopped') return false;
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
    if (recovery.fatal()) reasons.push('consumer crashed');
    reasons.push(...recovery.reasons());
    if (!sinkHandle) reasons.push('store not connected');
    if (!kafka) reasons.push('Kafka not connected');
    if (missingTopics.length > 0) reasons.push(`missing topics: ${missingTopics.join(', ')}`);
    if (!joined) reasons.push('consumer group not joined');
    const paused = fence?.reason();
    if (paused !== undefined) reasons.push(paused);
    reasons.push(...retrier.reasons());
    if (sinkHandle) {
      const timeout = sleep(READINESS_PING_TIMEOUT_MS).then(() => Promise.reject(new Error('store ping timed out')));
      await Promise.race([sinkHandle.sink.ping(), timeout]).catch((error: unknown) =>
        reasons.push(`store: ${describeError(error)}`),
      );
    }
    metrics.ready.set(reasons.length === 0 ? 1 : 0);
    return reasons;
  }

  /** Creates the Kafka clients and follows the consumer's group events. */
  function createKafkaConnections(): KafkaConnections {
    const client = createKafkaClient(config.kafka, logger);
    const consumer = client.consumer({
      groupId,
      sessionTimeout: config.kafka.sessionTimeoutMs,
      heartbeatInterval: config.kafka.heartbeatIntervalMs,
      maxWaitTimeInMs: config.kafka.maxWaitMs,
      maxBytesPerPartition: config.kafka.maxBytesPerPartition,
      allowAutoTopicCreation: false,
    });
    const commits = createBackgroundCommits(
      // kafkajs's own error: throwIfFailed unwraps a refusal the runner rejoins on by its type (rejoinableError).
      (offsets) => consumer.commitOffsets([...offsets]),
      (offset, error) =>
        logger.warn(
          { ...offset, cause: describeError(error) },
          'offset commit failed; the consumer rejoins from the committed offsets before its next chunk',
        ),
    );
    const { GROUP_JOIN, REBALANCING, CRASH, STOP } = consumer.events;
    consumer.on(GROUP_JOIN, (event) => {
      joined = true;
      recovery.joined();
      commits.joined();
      memberId = event.payload.memberId;
      metrics.rebalances.inc();
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
      memberId = undefined;
    });
    consumer.on(CRASH, (event) => {
      joined = false;
      recovery.crashed(event.payload.error, event.payload.restart);
    });
    return {
      admin: client.admin(),
      producer: createRenewingProducer(client, {
        allowAutoTopicCreation: false,
        createPartitioner: deadLetterPartitioner,
      }),
      consumer,
      commits,
    };
  }

  async function start(): Promise<void> {
    health = await startHealthServer(
      { isAlive: () => !recovery.fatal(), notReadyReasons, registry: metrics.registry },
      config.http.host,
      config.http.port,
    );
    logger.info(
      { port: health.port, topics: sourceTopics, deadLetterTopic },
      'probes listening on /livez /readyz /metrics',
    );

    const opened = await retrier.run('open store', 'store', () => options.openSink({ registry: metrics.registry }));
    if (opened.status === 'stopped') return;
    sinkHandle = opened.value;
    const handle = sinkHandle;
    if (handle.gate)
      fence = createPauseFence({
        gate: handle.gate,
        member: () => (joined ? memberId : undefined),
        logger,
        signal: abort.signal,
        onResume: () => handle.sink.reset?.(),
        onPausedChange: (paused) => metrics.paused.set(paused ? 1 : 0),
      });
    // stop() may have come while the store was opening: it closes what exists by then.
    if (stopping()) {
      await sinkHandle.close();
      return;
    }

    const connections = createKafkaConnections();
    kafka = connections;
    const connected = await retrier.run('connect to Kafka', 'kafka', () =>
      Promise.all([connections.admin.connect(), connections.producer.connect(), connections.consumer.connect()]).catch(
        (e: unknown) => Promise.reject(toKafkaError(e, 'connect')),
      ),
    );
    if (connected.status === 'stopped' || !(await waitForTopics(connections.admin)) || stopping()) return;

    const chunks = createChunkProcessor<TEvent>({
      sink: sinkHandle.sink,
      deadLetters: {
        send: async (topic, messages) => {
          await connections.producer.sendBatch({ acks: -1, topicMessages: [{ topic, messages }] });
        },
      },
      deadLetterTopic,
      consumerGroup: groupId,
      maxDeadLetterBatchBytes: config.processing.maxDeadLetterBatchBytes,
      retrier,
      logger,
      metrics,
    });
    const handler = createBatchHandler({
      chunks,
      commits: connections.commits,
      fence: () => fence,
      chunkSize: config.processing.maxEventsPerWrite,
      heartbeatIntervalMs: config.kafka.heartbeatIntervalMs,
      logicalTopic,
      stopping,
      metrics,
      logger,
    });
    batches = handler;
    const subscribed = await retrier.run('subscribe', 'kafka', () =>
      connections.consumer
        .subscribe({ topics: sourceTopics, fromBeginning: true })
        .catch((e: unknown) => Promise.reject(toKafkaError(e, 'subscribe'))),
    );
    if (subscribed.status === 'stopped') return;
    const runOptions: ConsumerRunConfig = {
      partitionsConsumedConcurrently: config.processing.partitionsConcurrency,
      eachBatchAutoResolve: false,
      // The worker commits each chunk itself once it is durable (BackgroundCommits); kafkajs's
      // own commit after every batch would be a second round trip in the way of the next fetch.
      autoCommit: false,
      eachBatch: (payload) => handler.handle(payload),
    };
    // A crashed consumer keeps its subscriptions; kafkajs's own restart does no more than this.
    restartConsumer = async () => {
      await connections.consumer.connect().catch((e: unknown) => Promise.reject(toKafkaError(e, 'connect')));
      if (!stopping()) await connections.consumer.run(runOptions);
    };
    await connections.consumer.run(runOptions);
    logger.info({ groupId, topics: sourceTopics }, 'consuming');
  }

  async function stop(): Promise<void> {
    stopPromise ??= (async () => {
      abort.abort();
      fence?.stop();
      logger.info('stopping: leaving the group after the batch in flight');
      const quietly = async (what: string, fn: (() => Promise<void>) | undefined): Promise<void> => {
        try {
          await fn?.();
        } catch (error) {
          logger.warn({ cause: describeError(error) }, `${what} failed during stop`);
        }
      };
      const connections = kafka;
      const handler = batches;
      // The batches in flight stop at their next chunk boundary; their commits land before kafkajs
      // stops its consumer, which drops a commit asked for from then on.
      await quietly('batches in flight', handler && (() => handler.idle()));
      await quietly('offset commits', connections && (() => connections.commits.settled()));
      // A consumer restart in flight ends at the abort; the consumer it may have run is disconnected next.
      await quietly('consumer restart', () => recovery.idle());
      await quietly('consumer disconnect', connections && (() => connections.consumer.disconnect()));
      await quietly('producer disconnect', connections && (() => connections.producer.disconnect()));
      await quietly('admin disconnect', connections && (() => connections.admin.disconnect()));
      await quietly('store close', sinkHandle?.close);
      await quietly('probe server close', health?.close);
      metrics.ready.set(0);
    })();
    return stopPromise;
  }

  return { start, stop, notReadyReasons, metrics, httpPort: () => health?.port };
}
