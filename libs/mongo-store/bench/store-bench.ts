// Versioned-store benchmark (not a test): applies N events over M documents in
// batches against a real MongoDB (MONGO_URL, default the local infrastructure) and
// prints events/s, MongoDB commands per event (counted by the driver's command
// monitoring), CPU µs per event and memory, next to the naive baseline in the same
// run: per event a findOne, a version compare and an insertOne/updateOne.
//
//   npm run bench:store [-- --events 100000 --documents 10000 --batch 500]
import { MongoClient } from 'mongodb';
import type { Db } from 'mongodb';
import pino from 'pino';
import { foldEvents } from '@sc/projection-core';
import { FERRETDB_MAX_UPDATES_PER_COMMAND, createVersionedStore, describeServer } from '../src';
import { counterEvents, counterProjection } from '@sc/projection-core/testing';
import type { Counter, CounterEvent } from '@sc/projection-core/testing';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const totalEvents = arg('events', 100_000);
const documents = arg('documents', 10_000);
const batchSize = arg('batch', 500);
const url = process.env['MONGO_URL'] ?? 'mongodb://127.0.0.1:27017';

// Entities interleaved as they arrive on a partition: version v of every entity, then v+1.
const events = counterEvents(documents, Math.ceil(totalEvents / documents)).slice(0, totalEvents);

let commands = 0;
const IGNORED = new Set([
  'hello',
  'isMaster',
  'ismaster',
  'ping',
  'endSessions',
  'drop',
  'dropDatabase',
  'createIndexes',
  'listIndexes',
  'buildInfo',
]);

async function naiveApply(db: Db, event: CounterEvent): Promise<void> {
  const collection = db.collection<Counter>(counterProjection.collection);
  const current = (await collection.findOne(
    { counter_id: event.entity_id },
    { projection: { _id: 0 } },
  )) as Counter | null;
  if (current && event.entity_version <= current.entity_version) return;
  const next = foldEvents(counterProjection, current, [event]).document;
  if (!next) return;
  if (current) await collection.replaceOne({ counter_id: event.entity_id }, next);
  else await collection.insertOne({ ...next });
}

async function measure(name: string, db: Db, run: () => Promise<void>) {
  await db
    .collection(counterProjection.collection)
    .drop()
    .catch(() => undefined);
  await createVersionedStore({ db, projection: counterProjection, logger: pino({ level: 'silent' }) }).ensureIndexes();
  commands = 0;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  const docs = await db.collection(counterProjection.collection).countDocuments();
  return {
    name,
    seconds,
    eventsPerSecond: totalEvents / seconds,
    commandsPerEvent: commands / totalEvents,
    cpuUsPerEvent: (used.user + used.system) / totalEvents,
    rssMb: process.memoryUsage().rss / 1048576,
    docs,
  };
}

async function main(): Promise<void> {
  const client = new MongoClient(url, { monitorCommands: true, retryWrites: false });
  client.on('commandStarted', (e) => {
    if (!IGNORED.has(e.commandName)) commands++;
  });
  await client.connect();
  const db = client.db(`bench_store_${Date.now().toString(36)}`);
  const info = await describeServer(db);
  const maxUpdatesPerCommand = arg(
    'updates-per-command',
    info.ferretdb ? FERRETDB_MAX_UPDATES_PER_COMMAND : Number.POSITIVE_INFINITY,
  );
  const server = `${info.ferretdb ? 'FerretDB v1 (MongoDB-compatible' : 'MongoDB'} ${info.version}${info.ferretdb ? ')' : ''}, ${maxUpdatesPerCommand} updates per update command, ${info.ferretdb ? 'per-key' : 'batched'} reads`;
  try {
    const store = createVersionedStore({
      db,
      projection: counterProjection,
      logger: pino({ level: 'silent' }),
      maxUpdatesPerCommand,
      // As openVersionedStore chooses: FerretDB answers `$in` by scanning the collection.
      keyLookup: info.ferretdb ? 'per-key' : 'batched',
    });
    const ours = await measure(`applyBatch (${batchSize})`, db, async () => {
      for (let i = 0; i < events.length; i += batchSize) await store.applyBatch(events.slice(i, i + batchSize));
    });
    const naive = await measure('naive per event', db, async () => {
      for (const event of events) await naiveApply(db, event);
    });
    console.log(
      `store benchmark: ${totalEvents.toLocaleString('en')} events over ${documents.toLocaleString('en')} documents, batches of ${batchSize}; ${server} at ${url.replace(/\/\/[^@]*@/, '//')}; node ${process.version}`,
    );
    console.log('name                  events/s   commands/event  CPU µs/event  RSS MB   docs   seconds');
    for (const r of [ours, naive]) {
      console.log(
        `${r.name.padEnd(20)} ${Math.round(r.eventsPerSecond).toLocaleString('en').padStart(9)}   ${r.commandsPerEvent.toFixed(4).padStart(14)}  ${r.cpuUsPerEvent.toFixed(1).padStart(12)}  ${r.rssMb.toFixed(0).padStart(6)}  ${String(r.docs).padStart(6)}  ${r.seconds.toFixed(1).padStart(8)}`,
      );
    }
    console.log(
      `ratio: applyBatch is ${(ours.eventsPerSecond / naive.eventsPerSecond).toFixed(1)}× the naive events/s with ${(naive.commandsPerEvent / ours.commandsPerEvent).toFixed(0)}× fewer commands; goal ≤ 0.01 commands/event: ${ours.commandsPerEvent <= 0.01 ? 'met' : 'NOT met'}`,
    );
  } finally {
    await db.dropDatabase();
    await client.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
