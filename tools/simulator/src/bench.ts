// `npm run bench`: the built workers against the real broker and store, on one generated
// stream, next to what the parts allow (raw consumption, raw bulk inserts) and to the
// seed's literal algorithm, with the collection already holding 1k, 10k or 100k
// documents of other entities. Prints one table (./bench-report) and writes a JSON file.
// Measures; asserts nothing about time.
import { cpus, totalmem } from 'node:os';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { MongoClient } from 'mongodb';
import type { Collection, Db, Document } from 'mongodb';
import pino from 'pino';
import { decodeRecord } from '@sc/event-schemas';
import { generateStream, topicMessagesOf } from '@sc/event-simulator';
import type { SimulatedRecord, SimulatedStream } from '@sc/event-simulator';
import {
  RECORD_AGE_BUCKETS_SECONDS,
  createToolKafkaClient,
  createToolProducer,
  describeResend,
  provisionTopics,
  sumMetricSamples,
} from '@sc/kafka-runtime';
import type { ToolProducer } from '@sc/kafka-runtime';
import { describeServer, ensureIndexes, measureWriteVolume } from '@sc/mongo-store';
import type { WriteVolume } from '@sc/mongo-store';
import { foldEvents } from '@sc/projection-core';
import type { VersionStamp, VersionedEvent } from '@sc/projection-core';
import { createTestNamespace, expectedDocumentsOf, groupLag, produceRecords, startWorkerProcess } from '@sc/testing';
import type { WorkerProcess } from '@sc/testing';
import { FRESHNESS_GOAL_MS, histogramQuantile, quantile } from './bench-report';
import { serverCpuSeconds } from './server-cpu';
import type {
  BenchReport,
  ClientWorkFigures,
  FreshnessFigures,
  HistogramBucket,
  RunFigures,
  SizeFigures,
  WorkerBench,
} from './bench-report';
import { WORKERS } from '@sc/read-models';

/** One worker as the read models declare it. */
type Worker = (typeof WORKERS)[number];

/** What `npm run bench` measures. */
export interface BenchOptions {
  readonly kafkaBrokers: string;
  readonly mongoUrl: string;
  /** Entities per kind in the stream (users, posts, orders; promotions a quarter). */
  readonly scale: number;
  /** Documents of other entities in the collection before each run. */
  readonly sizes: readonly number[];
  /** Records the naive baseline folds per size (it is slow); 0 skips it. */
  readonly naiveRecords: number;
  readonly projections?: readonly string[];
  readonly seed?: number;
  /** Records per second of each freshness run (one run per rate); none skips them. */
  readonly freshnessRates: readonly number[];
  /** Seconds each freshness run produces for. */
  readonly freshnessSeconds: number;
  /** Environment for every worker run on top of the bench's own (e.g. `PARTITIONS_CONCURRENCY`): compares settings. */
  readonly workerEnv?: Readonly<Record<string, string>>;
  /** A folder: each worker run writes a V8 CPU profile there (`node --cpu-prof`). */
  readonly cpuProfileDir?: string;
  readonly log?: (line: string) => void;
}

const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The stream of the bench: the simulator's, with its duplicates, stale replays and poison. */
function benchStream(seed: number, scale: number): SimulatedStream {
  return generateStream({
    seed,
    users: scale,
    posts: scale,
    promotions: Math.ceil(scale / 4),
    orders: scale,
    duplicateRate: 0.02,
    staleRate: 0.02,
    poisonRate: 0.002,
  });
}

/** Times `run` and the process's own CPU; `events` is how many records it covered. */
async function timed(events: number, run: () => Promise<void>): Promise<RunFigures> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  return { events, seconds, cpuMicrosPerEvent: (used.user + used.system) / Math.max(events, 1) };
}

/**
 * `count` documents of other entities, cloned from the stream's expected documents with
 * every key field made unique: the collection's size without touching the stream's keys.
 */
function fillDocuments(templates: readonly Record<string, unknown>[], keyFields: readonly string[], count: number) {
  return Array.from({ length: count }, (_, i) => {
    const clone: Record<string, unknown> = { ...templates[i % templates.length]! };
    for (const field of keyFields) clone[field] = `${String(clone[field])}~fill${i}`;
    return clone;
  });
}

async function fillCollection(
  collection: Collection<Document>,
  p: Worker,
  templates: readonly Record<string, unknown>[],
  count: number,
): Promise<void> {
  await ensureIndexes(collection, p.projection.indexes, silent);
  const documents = fillDocuments(templates, p.projection.keyFields, count);
  for (let i = 0; i < documents.length; i += 1000)
    await collection.insertMany(documents.slice(i, i + 1000), { ordered: false });
}

/**
 * Consumes `topics` (named with `prefix`) from their start with a group of its own,
 * handing each record to `handle` with its logical topic, until `limit` records: the
 * time from the first record fetched to the last handled.
 */
async function timedConsumption(
  kafka: Kafka,
  prefix: string,
  topics: readonly string[],
  limit: number,
  handle: (topic: string, message: KafkaMessage) => Promise<void> | void,
): Promise<RunFigures> {
  const consumer = kafka.consumer({ groupId: `bench-${Date.now().toString(36)}-${topics.length}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  let seen = 0;
  let first: bigint | undefined;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  await consumer.run({
    eachBatch: async ({ batch }) => {
      first ??= process.hrtime.bigint();
      const topic = batch.topic.slice(prefix.length);
      for (const message of batch.messages) {
        if (seen >= limit) break;
        const handled = handle(topic, message);
        if (handled !== undefined) await handled;
        seen++;
      }
      if (seen >= limit) done();
    },
  });
  await finished;
  const seconds = Number(process.hrtime.bigint() - first!) / 1e9;
  await consumer.disconnect();
  return { events: seen, seconds };
}

/** Raw kafkajs consumption of `topics` with decoding only: the broker-side ceiling. */
function consumeCeiling(
  kafka: Kafka,
  prefix: string,
  topics: readonly string[],
  expected: number,
): Promise<RunFigures> {
  return timedConsumption(kafka, prefix, topics, expected, (topic, message) => {
    decodeRecord({ topic, key: message.key, value: message.value });
  });
}

/** The seed's algorithm, literally: per record decode, find, compare the version, insert or replace. */
function naiveRun(
  kafka: Kafka,
  prefix: string,
  topics: readonly string[],
  collection: Collection<Document>,
  p: Worker,
  limit: number,
): Promise<RunFigures> {
  const projection = p.projection as unknown as Parameters<typeof foldEvents<VersionedEvent, VersionStamp>>[0] & {
    keyFields: readonly string[];
    keyOf(event: VersionedEvent): Record<string, string>;
  };
  return timedConsumption(kafka, prefix, topics, limit, async (topic, message) => {
    const decoded = decodeRecord({ topic, key: message.key, value: message.value });
    if (decoded.kind !== 'event') return;
    const event = decoded.event as unknown as VersionedEvent;
    const key = projection.keyOf(event);
    const current = (await collection.findOne(key, { projection: { _id: 0 } })) as VersionStamp | null;
    const fold = foldEvents(projection, current, [event]);
    if (!fold.changed || fold.document === null) return;
    if (current === null) await collection.insertOne({ ...fold.document });
    else await collection.replaceOne(key, fold.document);
  });
}

interface WorkerSample {
  readonly consumed: number;
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  readonly commands: number;
}

/** The figures of a worker's `/metrics` text that the bench samples. */
function sampleOf(metrics: string): WorkerSample {
  return {
    consumed: sumMetricSamples(metrics, 'sc_projection_records_consumed_total'),
    cpuSeconds: sumMetricSamples(metrics, 'process_cpu_seconds_total'),
    rssBytes: sumMetricSamples(metrics, 'process_resident_memory_bytes'),
    commands: sumMetricSamples(metrics, 'sc_projection_store_commands_total'),
  };
}

async function sample(worker: WorkerProcess): Promise<WorkerSample | undefined> {
  try {
    const { status, body } = await worker.get('/metrics');
    return status === 200 ? sampleOf(body) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the records between two samples of a worker cost: its process CPU, the store
 * server's CPU (when it runs on this machine) and the store commands, per record consumed.
 */
function steadyLoad(
  before: WorkerSample,
  after: WorkerSample,
  serverCpuBefore: number | undefined,
  serverCpuAfter: number | undefined,
): Pick<FreshnessFigures, 'cpuMicrosPerEvent' | 'serverCpuMicrosPerEvent' | 'commandsPerEvent'> {
  const records = Math.max(after.consumed - before.consumed, 1);
  return {
    cpuMicrosPerEvent: ((after.cpuSeconds - before.cpuSeconds) * 1e6) / records,
    ...(serverCpuBefore !== undefined &&
      serverCpuAfter !== undefined && {
        serverCpuMicrosPerEvent: ((serverCpuAfter - serverCpuBefore) * 1e6) / records,
      }),
    commandsPerEvent: (after.commands - before.commands) / records,
  };
}

/** The built worker on records already produced: from its first record to lag 0. */
async function workerRun(
  p: Worker,
  admin: Admin,
  env: Record<string, string>,
  groupId: string,
  topics: readonly string[],
  records: number,
  nodeArgs: readonly string[],
): Promise<RunFigures> {
  // `info`: the worker reports its probe port in an info line.
  const worker = startWorkerProcess(p.app, { ...env, LOG_LEVEL: 'info' }, nodeArgs);
  const alive = (): void => {
    if (worker.child.exitCode !== null)
      throw new Error(`${p.app} exited (${worker.child.exitCode}): ${JSON.stringify(worker.logs.slice(-5))}`);
  };
  try {
    let start: WorkerSample | undefined;
    let startedAt = 0n;
    let serverCpuAtStart: number | undefined;
    while (start === undefined) {
      alive();
      const now = await sample(worker);
      if (now !== undefined && now.consumed > 0) {
        start = now;
        startedAt = process.hrtime.bigint();
        serverCpuAtStart = serverCpuSeconds();
      } else await sleep(50);
    }
    while ((await groupLag(admin, groupId, topics)) > 0) {
      alive();
      await sleep(100);
    }
    const seconds = Number(process.hrtime.bigint() - startedAt) / 1e9;
    const end = (await sample(worker))!;
    const serverCpuAtEnd = serverCpuSeconds();
    return {
      events: records,
      seconds,
      cpuMicrosPerEvent: ((end.cpuSeconds - start.cpuSeconds) * 1e6) / records,
      ...(serverCpuAtStart !== undefined &&
        serverCpuAtEnd !== undefined && {
          serverCpuMicrosPerEvent: ((serverCpuAtEnd - serverCpuAtStart) * 1e6) / records,
        }),
      rssMb: end.rssBytes / 1048576,
      // All of them: the store counts only the commands of its batches, and the first may come before the first sample.
      commandsPerEvent: end.commands / records,
    };
  } finally {
    await worker.stop('SIGTERM');
  }
}

/** The event a simulated record carries, decoded as the worker decodes it; undefined for a bad record. */
function eventOf(record: SimulatedRecord): VersionedEvent | undefined {
  const decoded = decodeRecord({
    topic: record.topic,
    key: record.key === null ? null : Buffer.from(record.key),
    value: record.value === null ? null : Buffer.from(record.value),
  });
  return decoded.kind === 'event' ? (decoded.event as unknown as VersionedEvent) : undefined;
}

/**
 * About how many records of a freshness run are polled for: enough to check the worker's
 * own measure from outside, few enough not to load the store it times. Polling every
 * 100th record at 1,000/s (~250 finds a second) took ~30% of a core in the bench process
 * and lengthened the order-summary worker's mean record age from ~0.9 s to ~1.5-1.9 s
 * (2026-11-28, alternated runs).
 */
const POLLED_RECORDS = 20;
/**
 * How often a sampled record's document is looked at: the latencies' resolution, and the
 * poller's load on the store. Fine while the answer decides the 250 ms goal, coarser after:
 * a saturated store would otherwise spend itself answering the pollers of a growing backlog.
 */
const pollInterval = (waitedMs: number): number => (waitedMs < 500 ? 25 : 200);
/** How long a sampled record may take to show before it counts as unseen. */
const VISIBLE_WITHIN_MS = 10_000;

/** The worker's record-age histogram from its /metrics, in seconds, cumulative, `Infinity` last. */
function recordAgeBuckets(metrics: string): HistogramBucket[] {
  return [...RECORD_AGE_BUCKETS_SECONDS, Infinity].map((le) => ({
    le,
    count: sumMetricSamples(metrics, 'sc_projection_record_age_seconds_bucket', {
      le: le === Infinity ? '+Inf' : String(le),
    }),
  }));
}

/**
 * The built worker consuming as records arrive at `rate` per second: every record's age
 * when durable, from the worker's own histogram; for a few of them, the time from the
 * producer's acknowledgement to the document showing the event's version in MongoDB (see
 * {@link POLLED_RECORDS}, {@link pollInterval}); and the worker's mean chunk (records,
 * time) over the run from its own histograms: how the latency is made.
 */
async function freshnessRun(
  p: Worker,
  kafka: Kafka,
  producer: ToolProducer,
  collection: Collection<Document>,
  env: Record<string, string>,
  prefix: string,
  records: readonly SimulatedRecord[],
  rate: number,
  seconds: number,
  nodeArgs: readonly string[],
): Promise<FreshnessFigures> {
  const admin = kafka.admin();
  await admin.connect();
  const worker = startWorkerProcess(p.app, { ...env, LOG_LEVEL: 'info' }, nodeArgs);
  const latencies: number[] = [];
  let unseen = 0;
  try {
    const groupId = `${prefix}${p.group}`;
    // Joined and assigned: from here on a record is consumed as soon as it is fetched.
    for (;;) {
      const [group] = (await admin.describeGroups([groupId])).groups;
      if (group?.state === 'Stable') break;
      if (worker.child.exitCode !== null) throw new Error(`${p.app} exited (${worker.child.exitCode})`);
      await sleep(100);
    }
    // The CPU figures cover the run's second half: a fresh worker's first seconds also compile its code.
    let before: WorkerSample | undefined;
    let serverCpuBefore: number | undefined;
    const projection = p.projection as unknown as {
      keyOf(event: VersionedEvent): Record<string, string>;
    };
    const toSend = records.slice(0, Math.round(rate * seconds));
    const sampleEvery = Math.max(1, Math.round(toSend.length / POLLED_RECORDS));
    const tickMs = 20;
    const perTick = Math.max(1, Math.round((rate * tickMs) / 1000));
    const polls: Promise<void>[] = [];
    const started = Date.now();
    let valid = 0;
    for (let i = 0; i < toSend.length; i += perTick) {
      if (before === undefined && i >= toSend.length / 2) {
        before = await sample(worker);
        serverCpuBefore = serverCpuSeconds();
      }
      const slice = toSend.slice(i, i + perTick);
      // One produce request per tick for all topics: one round trip, so the rate holds on a slow broker.
      await producer.sendBatch({ acks: -1, topicMessages: topicMessagesOf(slice, prefix) });
      const sentAt = Date.now();
      for (const record of slice) {
        if (record.kind !== 'event' || record.value === null) continue;
        if (valid++ % sampleEvery !== 0) continue;
        const event = eventOf(record);
        if (event === undefined) continue;
        // Key equality only, the version compared here: FerretDB v1 pushes only top-level
        // equality down to PostgreSQL, and runs `countDocuments` (an aggregation) over the whole
        // collection, so a poller that filtered on the version would itself load the store.
        const key = projection.keyOf(event);
        const version = event.entity_version;
        polls.push(
          (async () => {
            while (Date.now() - sentAt < VISIBLE_WITHIN_MS) {
              const seen = await collection.findOne(key, { projection: { _id: 0, entity_version: 1 } });
              if (typeof seen?.['entity_version'] === 'number' && seen['entity_version'] >= version) {
                latencies.push(Date.now() - sentAt);
                return;
              }
              await sleep(pollInterval(Date.now() - sentAt));
            }
            unseen++;
          })(),
        );
      }
      const due = started + ((i + perTick) / rate) * 1000;
      if (due > Date.now()) await sleep(due - Date.now());
    }
    const producedSeconds = (Date.now() - started) / 1000;
    await Promise.all(polls);
    const topics = (p.topics as readonly string[]).map((topic) => `${prefix}${topic}`);
    while ((await groupLag(admin, groupId, topics)) > 0) await sleep(100);
    const { body } = await worker.get('/metrics');
    const serverCpuAfter = serverCpuSeconds();
    const after = sampleOf(body);
    const chunks = sumMetricSamples(body, 'sc_projection_batch_size_count');
    const perChunk = (name: string): number => (chunks > 0 ? sumMetricSamples(body, name) / chunks : 0);
    const ages = recordAgeBuckets(body);
    const aged = ages.at(-1)!.count;
    return {
      rate: toSend.length / (producedSeconds || 1),
      p50Ms: 1000 * histogramQuantile(ages, 0.5),
      p99Ms: 1000 * histogramQuantile(ages, 0.99),
      withinGoal: aged > 0 ? ages.find((bucket) => bucket.le === FRESHNESS_GOAL_MS / 1000)!.count / aged : 0,
      polled: {
        samples: latencies.length + unseen,
        unseen,
        p50Ms: quantile(latencies, 0.5),
        maxMs: quantile(latencies, 1),
      },
      rssMb: after.rssBytes / 1048576,
      chunkRecords: perChunk('sc_projection_batch_size_sum'),
      chunkMs: 1000 * perChunk('sc_projection_batch_duration_seconds_sum'),
      ...(before !== undefined && steadyLoad(before, after, serverCpuBefore, serverCpuAfter)),
    };
  } finally {
    await worker.stop('SIGTERM');
    await admin.disconnect();
  }
}

/** Rounds of the in-process work: the first ones warm the JIT, the fastest counts. */
const CLIENT_WORK_ROUNDS = 3;

/** CPU microseconds (user + system) `work` takes, the fastest of `rounds` runs. */
function cpuMicros(rounds: number, work: () => void): number {
  let best = Infinity;
  for (let round = 0; round < rounds; round++) {
    const before = process.cpuUsage();
    work();
    const used = process.cpuUsage(before);
    best = Math.min(best, used.user + used.system);
  }
  return best;
}

/**
 * The worker's own work on the records with no I/O: decoding each as the worker does,
 * then folding, planning and sizing the writes in chunks of 500 as the store does
 * (what the worker's CPU would be without the driver's round trips and kafkajs); and
 * the bytes of those writes.
 */
function inProcessWork(
  p: Worker,
  records: readonly SimulatedRecord[],
): { volume: WriteVolume; clientWork: ClientWorkFigures } {
  let events: VersionedEvent[] = [];
  const decode = cpuMicros(CLIENT_WORK_ROUNDS, () => {
    events = records.flatMap((r) => {
      const event = eventOf(r);
      return event === undefined ? [] : [event];
    });
  });
  const projection = p.projection as unknown as Parameters<typeof measureWriteVolume<VersionedEvent, VersionStamp>>[0];
  const plan = cpuMicros(CLIENT_WORK_ROUNDS, () => {
    measureWriteVolume(projection, events, { asReplaces: false });
  });
  return {
    volume: measureWriteVolume(projection, events),
    clientWork: { decodeMicrosPerEvent: decode / records.length, planMicrosPerEvent: plan / records.length },
  };
}

/**
 * The databases and topics of the bench's runs. Each run's database is dropped as soon
 * as its figures are taken: left in place, a run's 100,000-document collection is still
 * being vacuumed and analyzed by the store's server while the next run is timed. The
 * topics go at the end: kafkajs refreshes the metadata of every topic its producer has
 * sent to, and fails its sends once one of them is deleted.
 */
function createScratch(admin: Admin) {
  const databases = new Set<Db>();
  const topics: string[] = [];
  async function drop(db: Db): Promise<void> {
    databases.delete(db);
    await db.dropDatabase().catch(() => undefined);
  }
  return {
    /** Creates the run's topics (6 partitions each) and keeps them and its database for removal. */
    async open(db: Db, runTopics: readonly string[]): Promise<void> {
      databases.add(db);
      topics.push(...runTopics);
      await provisionTopics(
        admin,
        runTopics.map((topic) => ({ topic, numPartitions: 6, replicationFactor: -1 })),
      );
    },
    drop,
    async removeAll(): Promise<void> {
      for (const db of [...databases]) await drop(db);
      if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    },
  };
}

/** Runs the whole bench and returns its report. */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? (() => undefined);
  const stream = benchStream(options.seed ?? 7, options.scale);
  const projections = WORKERS.filter((p) => !options.projections || options.projections.includes(p.projection.name));
  // The bench's own clients must not take the cores the measured worker and servers need.
  const kafka = createToolKafkaClient({
    clientId: 'sc-bench',
    brokers: options.kafkaBrokers.split(','),
    retry: { retries: 10 },
  });
  const admin = kafka.admin();
  await admin.connect();
  const producer = createToolProducer(kafka, {
    onResend: (error, attempt, attempts) => log(describeResend(error, attempt, attempts)),
  });
  const mongo = await MongoClient.connect(options.mongoUrl);
  const scratch = createScratch(admin);
  const workerEnv = (ns: { database: string; prefix: string }): Record<string, string> => ({
    ...options.workerEnv,
    MONGO_URL: options.mongoUrl,
    KAFKA_BROKERS: options.kafkaBrokers,
    MONGO_DB: ns.database,
    KAFKA_NAME_PREFIX: ns.prefix,
  });
  try {
    const server = await describeServer(mongo.db('admin'));
    const profileArgs =
      options.cpuProfileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`];
    const benches: WorkerBench[] = [];
    for (const p of projections) {
      const topics: readonly string[] = p.topics;
      const records = stream.records.filter((r) => topics.includes(r.topic));
      const expected = [...expectedDocumentsOf(p, stream).values()];
      const sizes: SizeFigures[] = [];
      let consume: RunFigures | undefined;
      let write: RunFigures | undefined;
      for (const documents of options.sizes) {
        const ns = createTestNamespace(`bench-${p.projection.name}-${documents}`);
        const db = mongo.db(ns.database);
        const physical = topics.map((t) => `${ns.prefix}${t}`);
        await scratch.open(db, [...physical, `${ns.prefix}${p.deadLetterTopic}`]);
        await produceRecords(producer, records, ns.prefix);
        if (consume === undefined) {
          log(`${p.app}: ceilings`);
          consume = await consumeCeiling(kafka, ns.prefix, physical, records.length);
          const ceilingCollection = db.collection(`ceiling_${p.projection.collection}`);
          await ensureIndexes(ceilingCollection, p.projection.indexes, silent);
          write = await timed(records.length, async () => {
            for (let i = 0; i < expected.length; i += 500)
              await ceilingCollection.insertMany(
                expected.slice(i, i + 500).map((d) => ({ ...d })),
                { ordered: false },
              );
          });
        }
        log(`${p.app}: ${documents.toLocaleString('en')} documents before the stream`);
        await fillCollection(db.collection(p.projection.collection), p, expected, documents);
        const worker = await workerRun(
          p,
          admin,
          workerEnv(ns),
          `${ns.prefix}${p.group}`,
          physical,
          records.length,
          profileArgs,
        );
        let naive: RunFigures | undefined;
        if (options.naiveRecords > 0) {
          const naiveCollection = db.collection(`naive_${p.projection.collection}`);
          await fillCollection(naiveCollection, p, expected, documents);
          naive = await naiveRun(
            kafka,
            ns.prefix,
            physical,
            naiveCollection,
            p,
            Math.min(options.naiveRecords, records.length),
          );
        }
        await scratch.drop(db);
        sizes.push({ documents, worker, ...(naive === undefined ? {} : { naive }) });
        log(`${p.app}: ${Math.round(worker.events / worker.seconds)} events/s at ${documents} documents`);
      }
      const freshness: FreshnessFigures[] = [];
      for (const freshnessRate of options.freshnessRates) {
        log(`${p.app}: freshness at ${freshnessRate} records/s`);
        const ns = createTestNamespace(`bench-${p.projection.name}-fresh-${freshnessRate}`);
        const db = mongo.db(ns.database);
        await scratch.open(db, [...topics.map((t) => `${ns.prefix}${t}`), `${ns.prefix}${p.deadLetterTopic}`]);
        freshness.push(
          await freshnessRun(
            p,
            kafka,
            producer,
            db.collection(p.projection.collection),
            workerEnv(ns),
            ns.prefix,
            records,
            freshnessRate,
            options.freshnessSeconds,
            profileArgs,
          ),
        );
        await scratch.drop(db);
      }
      const { volume, clientWork } = inProcessWork(p, records);
      benches.push({
        bytesWritten: {
          perEvent: (volume.insertBytes + volume.updateBytes) / records.length,
          perEventAsReplaces: (volume.insertBytes + volume.replaceBytes) / records.length,
        },
        ...(freshness.length === 0 ? {} : { freshness }),
        clientWork,
        worker: p.app,
        collection: p.projection.collection,
        records: records.length,
        consumeCeiling: consume!,
        writeCeiling: write!,
        sizes,
      });
    }
    return {
      date: new Date().toISOString(),
      machine: machineDescription(),
      server: `${server.ferretdb ? 'FerretDB' : 'MongoDB'} ${server.version}`,
      workers: benches,
    };
  } finally {
    await scratch.removeAll();
    await producer.disconnect();
    await admin.disconnect();
    await mongo.close();
  }
}

function machineDescription(): string {
  return `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}
