// The fault suite: the built workers on a real broker and store, a seeded stream, and faults
// (SIGKILLs, MongoDB connections cut mid-command, broker restarts, instances joining and leaving)
// while they consume; then every document and every dead letter compared with what the contract
// says a calm run gives. Used by `npm run chaos` and by the fault suite of `npm test`.
import { MongoClient } from 'mongodb';
import { DEAD_LETTER_HEADERS } from '@sc/event-schemas';
import { createRandom, generateStream, topicMessagesOf } from '@sc/event-simulator';
import type { SimulatedStream, StreamOptions } from '@sc/event-simulator';
import {
  CONSUMER_RESTART_MESSAGE,
  createToolKafkaClient,
  createToolProducer,
  describeResend,
  fetchGroupLag,
  provisionTopics,
} from '@sc/kafka-runtime';
import { POSITION_FIELD } from '@sc/projection-core';
import { WORKERS } from '@sc/read-models';
import {
  createTestNamespace,
  expectedDocumentsOf,
  readTopic,
  simulatorKeyOf,
  startFaultProxy,
  startWorkerProcess,
} from '@sc/testing';
import type { FaultCommand, FaultMoment, WorkerProcess } from '@sc/testing';
import { PROJECTIONS } from './projections';
import type { Projection } from './projections';

/** A broker the suite may stop and start (a private one: never a shared cluster). */
export interface OwnedBroker {
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** What to do to the workers while they consume. */
export interface ChaosOptions {
  readonly kafkaBrokers: string;
  readonly mongoUrl: string;
  readonly seed: number;
  /** Entities per kind in the stream (users, posts, orders; promotions a quarter). */
  readonly scale: number;
  /** Which projections run (default all three). */
  readonly projections?: readonly Projection['name'][];
  /** SIGKILLs of a random worker, each restarted at once. */
  readonly kills: number;
  /** MongoDB connections cut mid-find or mid-write (before the command or before its reply). */
  readonly storeFaults: number;
  /** One store outage of this length (every connection refused), 0 for none. */
  readonly storeOutageMs?: number;
  /** Broker stops (for `brokerDownMs`) and restarts; needs `broker`. */
  readonly brokerRestarts: number;
  readonly broker?: OwnedBroker;
  readonly brokerDownMs?: number;
  /** Second instances of each worker that join mid-run and leave later. */
  readonly joins: number;
  /** How long the faults are spread over while the stream is produced. Default 30 s. */
  readonly windowMs?: number;
  /** How long to wait for lag 0 at the end. Default 5 min. */
  readonly settleTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

/** What {@link runChaos} did and found. */
export interface ChaosReport {
  readonly seed: number;
  readonly records: number;
  readonly kills: number;
  readonly storeCuts: number;
  /** Cuts by command and moment, e.g. `update before the reply`. */
  readonly storeCutsByKind: Readonly<Record<string, number>>;
  readonly storeOutageSeconds: number;
  readonly brokerRestarts: number;
  readonly joins: number;
  /** Group joins beyond one per process start: rebalances the faults caused. */
  readonly rebalances: number;
  /** The crash behind each consumer the workers restarted themselves after kafkajs gave up on it. */
  readonly consumerRestarts: readonly string[];
  /**
   * Worker processes that ended without being told to, each restarted at once as an
   * orchestrator would: what ended and its last fatal log line. A fault should cause none.
   */
  readonly unplannedExits: readonly string[];
  readonly documents: {
    readonly checked: number;
    readonly wrong: number;
    readonly missing: number;
    readonly extra: number;
  };
  readonly deadLetters: {
    readonly expected: number;
    readonly missing: number;
    readonly extra: number;
    readonly duplicated: number;
  };
  /** The first differences, for the report. */
  readonly examples: readonly string[];
  readonly seconds: number;
  /** True when nothing is wrong, missing or extra. */
  readonly exact: boolean;
}

/** A value in one canonical text: object keys sorted, dates as ISO strings. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Date) return v.toISOString();
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)));
    return v as never;
  });
}

/** The stream of a run: the simulator's, with every kind of trouble in it. */
export function chaosStream(seed: number, scale: number): SimulatedStream {
  const options: StreamOptions = {
    seed,
    users: scale,
    posts: scale,
    promotions: Math.max(1, Math.round(scale / 4)),
    orders: scale,
    duplicateRate: 0.05,
    staleRate: 0.05,
    poisonRate: 0.02,
    unknownTypeRate: 0.01,
    outOfOrderRate: 0.05,
  };
  return generateStream(options);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The log levels a report of a run that did not catch up shows. */
const TROUBLE_LEVELS = new Set(['warn', 'error', 'fatal']);

/**
 * A worker as the report of a run that did not catch up shows it: running (and its
 * readiness) or how it exited, and its last warnings and errors.
 */
async function describeWorkerState(name: string, worker: WorkerProcess): Promise<string> {
  const { exitCode, signalCode } = worker.child;
  const state =
    exitCode !== null || signalCode !== null
      ? `exited (${exitCode ?? signalCode})`
      : `running, readiness: ${(await worker.get('/readyz').catch((e: unknown) => ({ body: String(e) }))).body}`;
  const trouble = worker.logs
    .filter((l) => TROUBLE_LEVELS.has(String(l['level'])))
    .slice(-8)
    .map((l) => `    ${JSON.stringify(l).slice(0, 600)}`);
  return [`  ${name}: ${state}`, ...trouble].join('\n');
}

/** Runs the built workers through the faults asked for, and compares the outcome with the contract's. */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  // What happened when, for the report of a run that does not catch up.
  const timeline: string[] = [];
  const started = Date.now();
  const log = (line: string): void => {
    timeline.push(`${((Date.now() - started) / 1000).toFixed(1)} s ${line}`);
    options.log?.(line);
  };
  const random = createRandom(options.seed ^ 0x5eed);
  const projections = PROJECTIONS.filter((p) => !options.projections || options.projections.includes(p.name));
  const ns = createTestNamespace(`chaos-${options.seed}`);
  const kafka = createToolKafkaClient({
    clientId: 'sc-chaos',
    brokers: options.kafkaBrokers.split(','),
    retry: { retries: 30, maxRetryTime: 5000 },
  });
  const stream = chaosStream(options.seed, options.scale);
  const topics = [...new Set(projections.flatMap((p) => p.topics))];
  const records = stream.records.filter((r) => topics.includes(r.topic));
  const mongoTarget = new URL(options.mongoUrl);
  const proxy = await startFaultProxy(mongoTarget.hostname, Number(mongoTarget.port || 27017));
  const mongo = await MongoClient.connect(options.mongoUrl);
  const db = mongo.db(ns.database);
  const admin = kafka.admin();
  await admin.connect();
  const producer = createToolProducer(kafka, {
    onResend: (error, attempt, attempts) => log(describeResend(error, attempt, attempts)),
  });

  const workers = new Map<Projection['name'], WorkerProcess>();
  const extras: WorkerProcess[] = [];
  const allProcesses: WorkerProcess[] = [];
  const env = {
    MONGO_DB: ns.database,
    KAFKA_NAME_PREFIX: ns.prefix,
    MONGO_URL: `mongodb://127.0.0.1:${proxy.port}`,
    KAFKA_BROKERS: options.kafkaBrokers,
    LOG_LEVEL: 'info',
    // Small chunks: more commits, more places for a fault to land.
    MAX_EVENTS_PER_WRITE: '100',
    RETRY_INITIAL_MS: '100',
    RETRY_MAX_MS: '2000',
  };
  // Processes the run itself stops; any other exit is unplanned, and a main worker is restarted as Kubernetes would.
  const stoppedOnPurpose = new Set<WorkerProcess>();
  const unplannedExits: string[] = [];
  let finished = false;
  const stopOnPurpose = (worker: WorkerProcess, signal: NodeJS.Signals): Promise<number | string> => {
    stoppedOnPurpose.add(worker);
    return worker.stop(signal);
  };
  const launch = (p: Projection): WorkerProcess => {
    const worker = startWorkerProcess(p.app, env);
    allProcesses.push(worker);
    void worker.exited.then((code) => {
      if (finished || stoppedOnPurpose.has(worker)) return;
      const last = worker.logs.filter((l) => l['level'] === 'fatal').at(-1);
      const exit = `${p.app} exited (${code})${last ? `: ${String(last['msg'])} ${String(last['cause'] ?? '')}` : ''}`;
      unplannedExits.push(exit);
      log(`${exit}; restarted`);
      if (workers.get(p.name) === worker) workers.set(p.name, launch(p));
    });
    return worker;
  };
  const counts = { kills: 0, brokerRestarts: 0, joins: 0 };

  try {
    await provisionTopics(
      admin,
      [...topics, ...projections.map((p) => p.deadLetterTopic)].map((t) => ({
        topic: `${ns.prefix}${t}`,
        numPartitions: 6,
        replicationFactor: -1,
      })),
    );
    for (const p of projections) workers.set(p.name, launch(p));
    log(`chaos ${ns.prefix}: ${records.length} records, ${projections.length} workers, seed ${options.seed}`);

    // The faults, at random moments of the window while the stream is produced.
    const windowMs = options.windowMs ?? 30_000;
    type Fault = { at: number; run: () => Promise<void> };
    const faults: Fault[] = [];
    const at = () => Math.round(windowMs * (0.1 + 0.8 * random.next()));
    for (let i = 0; i < options.kills; i++)
      faults.push({
        at: at(),
        run: async () => {
          const p = random.pick(projections);
          await stopOnPurpose(workers.get(p.name)!, 'SIGKILL');
          counts.kills++;
          log(`kill ${p.app}`);
          workers.set(p.name, launch(p));
        },
      });
    const commands: FaultCommand[] = ['find', 'update', 'insert'];
    const moments: FaultMoment[] = ['before the command', 'before the reply'];
    for (let i = 0; i < options.storeFaults; i++)
      faults.push({ at: at(), run: async () => proxy.cutNext(random.pick(commands), random.pick(moments)) });
    if ((options.storeOutageMs ?? 0) > 0)
      faults.push({
        at: Math.round(windowMs * 0.2),
        run: async () => {
          log(`store outage for ${options.storeOutageMs} ms`);
          await proxy.outage(options.storeOutageMs!);
          log('store back');
        },
      });
    if (options.brokerRestarts > 0 && !options.broker)
      throw new Error('broker restarts need a broker of the suite’s own (never a shared cluster)');
    for (let i = 0; i < options.brokerRestarts; i++)
      faults.push({
        at: at(),
        run: async () => {
          log('broker stop');
          await options.broker!.stop();
          await sleep(options.brokerDownMs ?? 20_000);
          await options.broker!.start();
          counts.brokerRestarts++;
          log('broker start');
        },
      });
    for (let i = 0; i < options.joins; i++)
      faults.push({
        at: at(),
        run: async () => {
          const joined = projections.map((p) => launch(p));
          extras.push(...joined);
          counts.joins++;
          log('second instances join');
          await sleep(Math.round(windowMs * 0.3));
          await Promise.all(joined.map((w) => stopOnPurpose(w, 'SIGTERM')));
          log('second instances leave');
        },
      });
    faults.sort((a, b) => a.at - b.at);

    const producing = (async () => {
      const slices = 20;
      for (let i = 0; i < slices; i++) {
        const slice = records.slice(
          Math.floor((i * records.length) / slices),
          Math.floor(((i + 1) * records.length) / slices),
        );
        if (slice.length > 0) await producer.sendBatch({ acks: -1, topicMessages: topicMessagesOf(slice, ns.prefix) });
        await sleep(windowMs / slices);
      }
    })();
    const faulting = (async () => {
      const running: Promise<void>[] = [];
      for (const fault of faults) {
        const wait = started + fault.at - Date.now();
        if (wait > 0) await sleep(wait);
        running.push(fault.run());
      }
      await Promise.all(running);
    })();
    await Promise.all([producing, faulting]);

    // Every fault is over: each group catches up.
    const deadline = Date.now() + (options.settleTimeoutMs ?? 300_000);
    for (const p of projections) {
      for (;;) {
        const lags = await fetchGroupLag(
          admin,
          `${ns.prefix}${p.group}`,
          p.topics.map((t) => `${ns.prefix}${t}`),
        ).catch(() => undefined);
        if (lags && lags.reduce((s, l) => s + l.lag, 0) === 0) break;
        if (Date.now() > deadline) {
          const states = await Promise.all([...workers.entries()].map(([name, w]) => describeWorkerState(name, w)));
          throw new Error(
            `${p.name} did not catch up in time (lag ${JSON.stringify(lags)}); timeline:\n${timeline.join('\n')}\nworkers:\n${states.join('\n')}`,
          );
        }
        await sleep(500);
      }
    }
    log('all groups at lag 0; comparing');

    const examples: string[] = [];
    const documents = { checked: 0, wrong: 0, missing: 0, extra: 0 };
    const deadLetters = { expected: 0, missing: 0, extra: 0, duplicated: 0 };
    for (const p of projections) {
      const worker = WORKERS.find((w) => w.app === p.app)!;
      const expected = expectedDocumentsOf(worker, stream);
      const actual = new Map(
        (
          await db
            .collection(p.collection)
            .find({}, { projection: { _id: 0, [POSITION_FIELD]: 0 } })
            .toArray()
        ).map((d) => [simulatorKeyOf(worker, d), d]),
      );
      for (const [key, doc] of expected) {
        documents.checked++;
        const found = actual.get(key);
        if (found === undefined) {
          documents.missing++;
          if (examples.length < 10) examples.push(`${p.name} ${key}: missing`);
        } else if (canonical(found) !== canonical(doc)) {
          documents.wrong++;
          if (examples.length < 10) examples.push(`${p.name} ${key}: ${canonical(found)} != ${canonical(doc)}`);
        }
      }
      for (const key of actual.keys())
        if (!expected.has(key)) {
          documents.extra++;
          if (examples.length < 10) examples.push(`${p.name} ${key}: extra`);
        }

      const letter = (topic: string, key: string | null, value: string | null, reason: string | undefined) =>
        JSON.stringify([topic, key, value, reason]);
      const want = new Set(
        records
          .filter((r) => r.kind === 'poison' && p.topics.includes(r.topic))
          .map((r) => letter(`${ns.prefix}${r.topic}`, r.key, r.value, r.expectedReason)),
      );
      const got = new Map<string, number>();
      const seenOrigins = new Map<string, number>();
      for (const l of await readTopic(kafka, `${ns.prefix}${p.deadLetterTopic}`, 120_000)) {
        const k = letter(
          l.headers[DEAD_LETTER_HEADERS.originalTopic] ?? '',
          l.key?.toString() ?? null,
          l.value?.toString() ?? null,
          l.headers[DEAD_LETTER_HEADERS.reason],
        );
        got.set(k, (got.get(k) ?? 0) + 1);
        const origin = `${l.headers[DEAD_LETTER_HEADERS.originalPartition]}/${l.headers[DEAD_LETTER_HEADERS.originalOffset]}`;
        seenOrigins.set(origin, (seenOrigins.get(origin) ?? 0) + 1);
      }
      deadLetters.expected += want.size;
      for (const k of want)
        if (!got.has(k)) {
          deadLetters.missing++;
          if (examples.length < 10) examples.push(`${p.deadLetterTopic}: missing ${k.slice(0, 300)}`);
        }
      for (const k of got.keys())
        if (!want.has(k)) {
          deadLetters.extra++;
          if (examples.length < 10) examples.push(`${p.deadLetterTopic}: extra ${k.slice(0, 300)}`);
        }
      for (const n of seenOrigins.values()) if (n > 1) deadLetters.duplicated += n - 1;
    }

    const logged = (message: string) => allProcesses.flatMap((w) => w.logs.filter((l) => l['msg'] === message));
    const joinsLogged = logged('joined consumer group').length;
    const report: ChaosReport = {
      seed: options.seed,
      records: records.length,
      kills: counts.kills,
      storeCuts: [...proxy.cuts.values()].reduce((a, b) => a + b, 0),
      storeCutsByKind: Object.fromEntries(proxy.cuts),
      storeOutageSeconds: Math.round((options.storeOutageMs ?? 0) / 1000),
      brokerRestarts: counts.brokerRestarts,
      joins: counts.joins,
      rebalances: Math.max(0, joinsLogged - allProcesses.length),
      consumerRestarts: logged(CONSUMER_RESTART_MESSAGE).map((l) => String(l['cause'])),
      unplannedExits: [...unplannedExits],
      documents,
      deadLetters,
      examples,
      seconds: Math.round((Date.now() - started) / 1000),
      exact: documents.wrong + documents.missing + documents.extra + deadLetters.missing + deadLetters.extra === 0,
    };
    return report;
  } finally {
    finished = true;
    await Promise.all(allProcesses.map((w) => w.stop('SIGKILL')));
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await db.dropDatabase().catch(() => undefined);
    await mongo.close().catch(() => undefined);
    await proxy.close();
  }
}

/** The report as a few lines of text. */
export function formatChaosReport(r: ChaosReport): string {
  return [
    `fault suite, seed ${r.seed}: ${r.records} records in ${r.seconds} s`,
    `faults: ${r.kills} SIGKILLs, ${r.storeCuts} store connections cut (${Object.entries(r.storeCutsByKind)
      .map(([kind, n]) => `${n} ${kind}`)
      .join(
        ', ',
      )}), ${r.storeOutageSeconds} s of store outage, ${r.brokerRestarts} broker restarts, ${r.joins} instances joining and leaving; ${r.rebalances} rebalances, ${r.consumerRestarts.length} consumers restarted by their worker`,
    ...[...new Set(r.consumerRestarts)].map(
      (cause) => `  restarted after: ${cause} (${r.consumerRestarts.filter((c) => c === cause).length}×)`,
    ),
    ...r.unplannedExits.map((e) => `unplanned exit: ${e}`),
    `documents: ${r.documents.checked} checked, ${r.documents.wrong} wrong, ${r.documents.missing} missing, ${r.documents.extra} extra`,
    `dead letters: ${r.deadLetters.expected} expected, ${r.deadLetters.missing} missing, ${r.deadLetters.extra} extra, ${r.deadLetters.duplicated} duplicated (allowed)`,
    ...r.examples.map((e) => `  ${e}`),
    r.exact ? 'EXACT: same documents and dead letters as a calm run' : 'NOT EXACT',
  ].join('\n');
}
