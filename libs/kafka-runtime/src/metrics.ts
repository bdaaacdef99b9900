import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RECORD_OUTCOMES } from '@sc/projection-core';

/** The Prometheus metrics of one worker, on a registry of its own. */
export interface WorkerMetrics {
  readonly registry: Registry;
  readonly consumed: Counter<'topic'>;
  readonly events: Counter<'event_type' | 'outcome'>;
  readonly deadLettered: Counter<'reason'>;
  readonly batchSize: Histogram;
  readonly batchDuration: Histogram;
  /** Seconds from a record's Kafka timestamp to its chunk being durable: freshness as the worker sees it. */
  readonly recordAge: Histogram;
  readonly retries: Counter<'operation'>;
  readonly rebalances: Counter;
  /** Restarts of a consumer kafkajs left stopped after broker trouble (see `consumer-recovery.ts`). */
  readonly consumerRestarts: Counter;
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly ready: Gauge;
  /** 1 while an operator's pause request holds the worker (see `pause-fence.ts`). */
  readonly paused: Gauge;
  /** A bounded label value for an event type, so bad input cannot explode the series count. */
  eventTypeLabel(eventType: string | undefined): string;
}

const MAX_EVENT_TYPE_LABELS = 100;

/**
 * Bucket bounds of `sc_projection_record_age_seconds`; 0.25 is the freshness goal's (p99 ≤
 * 250 ms). Close together up to a few seconds, so that a percentile interpolated within a
 * bucket (`histogram_quantile`, the bench) is off by at most a fraction of its value.
 */
export const RECORD_AGE_BUCKETS_SECONDS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10, 30, 60,
  300,
];

/**
 * How often the event-loop delay histogram (`nodejs_eventloop_lag_*`) samples. prom-client's
 * default of 10 ms wakes an idle worker 100 times a second: measured on the development
 * machine, a third of its idle CPU. At 100 ms a stall of the loop still shows in the
 * histogram; the percentiles of short ones get coarser.
 */
const EVENT_LOOP_RESOLUTION_MS = 100;

/** Creates the worker's metrics; `projection` becomes a default label of every series. */
export function createWorkerMetrics(projection: string): WorkerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ projection });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_RESOLUTION_MS });
  const registers = [registry];
  const seenEventTypes = new Set<string>();
  return {
    registry,
    consumed: new Counter({
      name: 'sc_projection_records_consumed_total',
      help: 'Kafka records read, by topic.',
      labelNames: ['topic'],
      registers,
    }),
    events: new Counter({
      name: 'sc_projection_events_total',
      help: `Records by event type and outcome (${RECORD_OUTCOMES.join(', ')}).`,
      labelNames: ['event_type', 'outcome'],
      registers,
    }),
    deadLettered: new Counter({
      name: 'sc_projection_dead_lettered_total',
      help: 'Records sent to the dead-letter topic, by reason.',
      labelNames: ['reason'],
      registers,
    }),
    batchSize: new Histogram({
      name: 'sc_projection_batch_size',
      help: 'Records per processed chunk.',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
      registers,
    }),
    batchDuration: new Histogram({
      name: 'sc_projection_batch_duration_seconds',
      help: 'Time to decode, write and dead-letter one chunk, retries included.',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    recordAge: new Histogram({
      name: 'sc_projection_record_age_seconds',
      help: "Seconds from a record's Kafka timestamp (producer or broker clock) to its chunk being durable in the store and the dead-letter topic.",
      buckets: [...RECORD_AGE_BUCKETS_SECONDS],
      registers,
    }),
    retries: new Counter({
      name: 'sc_projection_retries_total',
      help: 'Retries after infrastructure errors, by operation.',
      labelNames: ['operation'],
      registers,
    }),
    rebalances: new Counter({
      name: 'sc_projection_group_joins_total',
      help: 'Times this worker joined its consumer group: 1 after start, each further one a rebalance.',
      registers,
    }),
    consumerRestarts: new Counter({
      name: 'sc_projection_consumer_restarts_total',
      help: 'Times the worker restarted a consumer that kafkajs left stopped after broker trouble.',
      registers,
    }),
    lag: new Gauge({
      name: 'sc_projection_consumer_lag',
      help: 'High watermark minus the next offset to process, per partition.',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    ready: new Gauge({
      name: 'sc_projection_ready',
      help: '1 when the worker is ready (connected, joined, not retrying).',
      registers,
    }),
    paused: new Gauge({
      name: 'sc_projection_paused',
      help: '1 while an operator pause (e.g. a rebuild swapping the collection) holds the worker.',
      registers,
    }),
    eventTypeLabel(eventType) {
      if (eventType === undefined || !/^[a-z_]{1,40}\.[a-z_]{1,40}$/.test(eventType)) return 'unknown';
      if (seenEventTypes.has(eventType)) return eventType;
      if (seenEventTypes.size >= MAX_EVENT_TYPE_LABELS) return 'other';
      seenEventTypes.add(eventType);
      return eventType;
    },
  };
}

/**
 * Observes each record's age at `now` (ms) from its Kafka timestamp; a record without a
 * usable timestamp (none, -1, or a producer's clock ahead of ours) is left out rather than
 * counted as fresh.
 */
export function observeRecordAges(
  histogram: { observe(seconds: number): void },
  records: readonly { readonly timestamp: string }[],
  now: number,
): void {
  for (const record of records) {
    const timestamp = Number(record.timestamp);
    // Kafka's "no timestamp" is -1; an empty string is no timestamp either.
    if (!(timestamp > 0) || timestamp > now) continue;
    histogram.observe((now - timestamp) / 1000);
  }
}

/**
 * Sums the samples of one metric in Prometheus text format whose labels include
 * `labels`: for tools and tests that read a worker's `/metrics`.
 */
export function sumMetricSamples(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1)) || 0;
  }
  return total;
}
