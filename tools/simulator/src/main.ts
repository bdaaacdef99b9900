// The platform simulator and the projections' dashboard:
//   publish  create topics and publish a simulated stream
//   run      publish and show the projections live; --once waits for lag 0 and prints a summary
// See USAGE in options.ts. Used by `npm start`; `npm run status` is the operator CLI's (tools/ops).
import type { Admin, Kafka } from 'kafkajs';
import { MongoClient } from 'mongodb';
import type { Db } from 'mongodb';
import { generateStream } from '@sc/event-simulator';
import type { SimulatedStream } from '@sc/event-simulator';
import { createToolKafkaClient, createToolProducer, describeResend } from '@sc/kafka-runtime';
import type { ToolProducer } from '@sc/kafka-runtime';
import { describeError } from '@sc/service-kit';
import { projectionLag } from './kafka-state';
import { scrapeWorker } from './metrics';
import { parseSimulatorArgs } from './options';
import type { SimulatorOptions } from './options';
import { PROJECTIONS } from './projections';
import { ensureTopics, publishRecords } from './publish';
import { formatSummary, summarizeReadModels } from './summary';
import { RateMeter, producedCounter, renderProjectionRows } from './live-view';
import type { ProjectionRow } from './live-view';

const env = process.env;
const prefix = env['KAFKA_NAME_PREFIX'] ?? '';

function connections(): { kafka: Kafka; mongo: MongoClient; db: Db } {
  // Without a cluster given, the local infrastructure of tools/local-infra.
  const brokers = (env['KAFKA_BROKERS'] || '127.0.0.1:9092').split(',').filter(Boolean);
  const kafka = createToolKafkaClient({ clientId: 'sc-simulator', brokers });
  const mongo = new MongoClient(env['MONGO_URL'] || 'mongodb://127.0.0.1:27017', { serverSelectionTimeoutMS: 5000 });
  return { kafka, mongo, db: mongo.db(env['MONGO_DB'] ?? 'sc_read_models') };
}

/** What the live view remembers per projection between refreshes. */
interface Tracker {
  previous: number | undefined;
  readonly consumed: RateMeter;
  readonly produced: RateMeter;
  readonly producedOf: (sent: number) => number;
}

function trackers(stream: SimulatedStream): Map<string, Tracker> {
  return new Map(
    PROJECTIONS.map((p) => [
      p.name,
      {
        previous: undefined,
        consumed: new RateMeter(),
        produced: new RateMeter(),
        producedOf: producedCounter(stream.records, p.topics),
      },
    ]),
  );
}

async function projectionRows(
  admin: Admin,
  options: SimulatorOptions,
  tracked: Map<string, Tracker>,
  sent: number,
  seconds: number,
  publishing: boolean,
): Promise<ProjectionRow[]> {
  const now = Date.now();
  return Promise.all(
    PROJECTIONS.map(async (p, i) => {
      const counters = await scrapeWorker(options.metricsPorts[i]!);
      const lag = (await projectionLag(admin, p, prefix).catch(() => [])).reduce((sum, r) => sum + r.lag, 0);
      const t = tracked.get(p.name)!;
      const consumed = counters?.consumed ?? 0;
      const perSecond = seconds > 0 ? (consumed - (t.previous ?? consumed)) / seconds : 0;
      t.previous = consumed;
      const produced = t.producedOf(sent);
      const produceRate = t.produced.add(now, produced) ?? 0;
      return {
        name: p.name,
        counters,
        lag,
        perSecond,
        produced,
        consumeRate: counters ? t.consumed.add(now, consumed) : undefined,
        // Once publishing is over, the lag only shrinks.
        produceRate: publishing ? produceRate : 0,
      };
    }),
  );
}

function describeStream(stream: SimulatedStream, sent: number): string {
  const k = stream.counts.byKind;
  return `produced ${sent.toLocaleString('en')} of ${stream.records.length.toLocaleString('en')} records (the stream: ${k.event} events, ${k.duplicate} duplicates, ${k.stale} stale replays, ${k.ignored} of unknown types, ${k.poison} malformed)`;
}

async function run(command: string, options: SimulatorOptions): Promise<number> {
  const { kafka, mongo, db } = connections();
  const admin = kafka.admin();
  await admin.connect();
  await mongo.connect();
  let producer: ToolProducer | undefined;
  try {
    if (command === 'topics') {
      for (const line of await ensureTopics(admin, prefix)) console.log(line);
      return 0;
    }
    await ensureTopics(admin, prefix, options.partitions);
    const stream = generateStream(options.stream);
    const abort = new AbortController();
    const interrupted = new Promise<void>((resolve) => {
      const onSignal = () => {
        abort.abort();
        resolve();
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    });
    let sent = 0;
    /** Why publishing stopped short: reported once the live view has stopped, not as an unhandled rejection. */
    let publishFailure: unknown;
    producer = createToolProducer(kafka, {
      signal: abort.signal,
      onResend: (error, attempt, attempts) => console.error(`publishing: ${describeResend(error, attempt, attempts)}`),
    });
    const publishing = publishRecords(producer, stream.records, {
      prefix,
      rate: options.rate,
      durationMs: options.durationSeconds * 1000,
      signal: abort.signal,
      onProgress: (n) => (sent = n),
    }).catch((error: unknown) => {
      publishFailure = error;
      abort.abort();
      return sent;
    });
    const failed = (): number => {
      console.error(`publishing failed after ${sent.toLocaleString('en')} records: ${describeError(publishFailure)}`);
      return 1;
    };

    if (!options.live) {
      const started = Date.now();
      sent = await publishing;
      if (publishFailure !== undefined) return failed();
      const seconds = (Date.now() - started) / 1000;
      console.log(
        `${describeStream(stream, sent)} in ${seconds.toFixed(2)} s (${Math.round(sent / seconds).toLocaleString('en')} records/s)`,
      );
      return 0;
    }

    const tracked = trackers(stream);
    let last = Date.now();
    let caughtUp = false;
    const tty = process.stdout.isTTY === true;
    for (let tick = 0; !abort.signal.aborted; tick++) {
      await Promise.race([new Promise((r) => setTimeout(r, 1000)), interrupted]);
      const now = Date.now();
      const done = sent === stream.records.length || abort.signal.aborted;
      const rows = await projectionRows(admin, options, tracked, sent, (now - last) / 1000, !done);
      last = now;
      caughtUp = done && rows.every((r) => r.lag === 0 && r.counters !== undefined);
      const screen = `${new Date().toISOString()}  ${describeStream(stream, sent)}\n\n${renderProjectionRows(rows)}\n\n${options.once ? 'waiting for lag 0…' : 'Ctrl-C stops the simulation and the workers'}`;
      if (tty) process.stdout.write(`\x1b[2J\x1b[H${screen}\n`);
      else if (tick % 5 === 0 || caughtUp) console.log(`${screen}\n`);
      if (options.once && caughtUp) break;
    }
    sent = await publishing;
    if (publishFailure !== undefined) return failed();

    const rows = await projectionRows(admin, options, trackers(stream), sent, 0, false);
    const summary = await summarizeReadModels(db);
    console.log(
      `\n=== summary ===\n${describeStream(stream, sent)}\n\n${renderProjectionRows(rows)}\n\n${formatSummary(summary)}`,
    );
    if (options.json) {
      const counters = Object.fromEntries(rows.map((r) => [r.name, { ...r.counters, lag: r.lag }]));
      console.log(
        `SUMMARY_JSON ${JSON.stringify({ produced: sent, counts: stream.counts, projections: counters, documents: summary.counts })}`,
      );
    }
    return options.once && !caughtUp ? 1 : 0;
  } finally {
    await producer?.disconnect().catch(() => undefined);
    await admin.disconnect();
    await mongo.close();
  }
}

let parsed: ReturnType<typeof parseSimulatorArgs>;
try {
  parsed = parseSimulatorArgs(process.argv.slice(2), env);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
run(parsed.command, parsed.options).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`simulator: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
