import { MongoClient } from 'mongodb';
import type { Db, Document } from 'mongodb';
import type { Admin, Kafka } from 'kafkajs';
import { DEAD_LETTER_HEADERS, deadLetterTopicOf } from '@sc/event-schemas';
import { createToolProducer } from '@sc/kafka-runtime';
import { POSITION_FIELD } from '@sc/projection-core';
import type { IndexDeclaration, WorkerDescriptor } from '@sc/projection-core';
import { generateStream } from '@sc/event-simulator';
import type { SimulatedRecord, SimulatedStream, StreamOptions } from '@sc/event-simulator';
import { createTestNamespace } from './names';
import { createTopics, eventually, groupLag, produceRecords, readTopic, testKafka } from './kafka';
import { startWorkerProcess } from './worker-process';
import type { ReadRecord } from './kafka';

/** What an end-to-end test of one worker app needs to know about it: its descriptor. */
export type EndToEndTarget = WorkerDescriptor;

/** The simulator's key of a document: its key fields joined with `|`, in declaration order. */
export function simulatorKeyOf(target: EndToEndTarget, doc: Document): string {
  return target.projection.keyFields.map((field) => String(doc[field])).join('|');
}

/** The simulator's own account of the target's read model. */
export function expectedDocumentsOf(
  target: EndToEndTarget,
  stream: SimulatedStream,
): Map<string, Record<string, unknown>> {
  return stream.expected[target.projection.name as keyof SimulatedStream['expected']];
}

/** One isolated world for an end-to-end test: its own topics, group, database and stream. */
export interface EndToEndWorld {
  readonly prefix: string;
  readonly database: string;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly db: Db;
  readonly stream: SimulatedStream;
  /** The stream's records for this app's topics, in production order. */
  readonly records: SimulatedRecord[];
  readonly deadLetterTopic: string;
  /** Environment for the worker process. */
  readonly env: Record<string, string>;
  /** Creates the source and dead-letter topics (6 partitions), if not done at creation. */
  createTopics(): Promise<void>;
  produce(records: readonly SimulatedRecord[]): Promise<void>;
  /** Waits until the group has committed every offset of its topics. */
  waitForLagZero(timeoutMs?: number): Promise<void>;
  lag(): Promise<number>;
  /** Every document of the collection, keyed like the simulator's expectations, without `_id`. */
  documents(): Promise<Map<string, Document>>;
  deadLetters(): Promise<ReadRecord[]>;
  /** Asserts every document equals the simulator's, field by field, and that there is no other. */
  expectExactDocuments(): Promise<void>;
  /**
   * Asserts the dead-letter topic holds each poison record (original key and value,
   * the expected reason, the contract's headers), and nothing else; `exactlyOnce`
   * also forbids repeats (which a crash between send and commit may cause).
   */
  expectPoisonDeadLettered(options: { readonly exactlyOnce: boolean }): Promise<void>;
  /** Asserts the collection has each declared index with its keys, order and uniqueness. */
  expectDeclaredIndexes(indexes: readonly IndexDeclaration[]): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_STREAM: Omit<StreamOptions, 'seed'> = {
  users: 150,
  posts: 150,
  promotions: 40,
  orders: 150,
  duplicateRate: 0.05,
  staleRate: 0.05,
  poisonRate: 0.01,
  unknownTypeRate: 0.01,
  outOfOrderRate: 0.03,
};

/** Creates topics (6 partitions), a database and a stream for one test. */
export async function createEndToEndWorld(
  target: EndToEndTarget,
  streamOptions: StreamOptions,
  { createTopicsNow = true }: { readonly createTopicsNow?: boolean } = {},
): Promise<EndToEndWorld> {
  const ns = createTestNamespace(target.app);
  const kafka = testKafka(target.app);
  const admin = kafka.admin();
  await admin.connect();
  const physical = target.topics.map((t) => `${ns.prefix}${t}`);
  const deadLetterTopic = `${ns.prefix}${deadLetterTopicOf(target.group)}`;
  const createAllTopics = () => createTopics(admin, [...physical, deadLetterTopic], 6);
  if (createTopicsNow) await createAllTopics();
  const client = await MongoClient.connect(process.env['MONGO_URL']!);
  const db = client.db(ns.database);
  const producer = createToolProducer(kafka);
  const stream = generateStream(streamOptions);
  const topics: readonly string[] = target.topics;
  const records = stream.records.filter((r) => topics.includes(r.topic));
  const groupId = `${ns.prefix}${target.group}`;

  const world: EndToEndWorld = {
    prefix: ns.prefix,
    database: ns.database,
    kafka,
    admin,
    db,
    stream,
    records,
    deadLetterTopic,
    env: { MONGO_DB: ns.database, KAFKA_NAME_PREFIX: ns.prefix },
    createTopics: createAllTopics,
    produce: (batch) =>
      produceRecords(
        producer,
        batch.filter((r) => topics.includes(r.topic)),
        ns.prefix,
      ),
    lag: () => groupLag(admin, groupId, physical),
    async waitForLagZero(timeoutMs = 120_000) {
      await eventually(
        `lag 0 for ${groupId}`,
        async () => (await groupLag(admin, groupId, physical)) === 0,
        timeoutMs,
        500,
      );
    },
    async documents() {
      const docs = await db
        .collection(target.projection.collection)
        // The position is the worker's bookkeeping, not part of the read model the contract describes.
        .find({}, { projection: { _id: 0, [POSITION_FIELD]: 0 } })
        .toArray();
      return new Map(docs.map((d) => [simulatorKeyOf(target, d), d]));
    },
    deadLetters: () => readTopic(kafka, deadLetterTopic),
    async expectExactDocuments() {
      const expected = expectedDocumentsOf(target, stream);
      const actual = await world.documents();
      expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
      for (const [key, doc] of expected) expect({ key, doc: actual.get(key) }).toEqual({ key, doc });
    },
    async expectPoisonDeadLettered({ exactlyOnce }) {
      const poison = records.filter((r) => r.kind === 'poison');
      const letters = await world.deadLetters();
      const origin = (l: ReadRecord) =>
        `${l.headers[DEAD_LETTER_HEADERS.originalPartition]}/${l.headers[DEAD_LETTER_HEADERS.originalOffset]}`;
      const unique = [...new Map(letters.map((l) => [origin(l), l])).values()];
      if (exactlyOnce) expect(letters).toHaveLength(poison.length);
      const describe = (reason: unknown, key: unknown, value: unknown) =>
        `${String(reason)} ${String(key)} ${String(value)}`;
      expect(
        unique
          .map((l) =>
            describe(l.headers[DEAD_LETTER_HEADERS.reason], l.key?.toString() ?? null, l.value?.toString() ?? null),
          )
          .sort(),
      ).toEqual(poison.map((p) => describe(p.expectedReason, p.key, p.value)).sort());
      for (const letter of unique) {
        expect(target.topics.map((t) => `${ns.prefix}${t}`)).toContain(
          letter.headers[DEAD_LETTER_HEADERS.originalTopic],
        );
        expect(letter.headers[DEAD_LETTER_HEADERS.consumerGroup]).toBe(groupId);
        expect(letter.headers[DEAD_LETTER_HEADERS.detail]?.length).toBeGreaterThan(0);
        expect(Number.isNaN(Date.parse(letter.headers[DEAD_LETTER_HEADERS.failedAt] ?? ''))).toBe(false);
        expect(Number(letter.headers[DEAD_LETTER_HEADERS.attempt])).toBeGreaterThanOrEqual(1);
      }
    },
    async expectDeclaredIndexes(indexes) {
      const existing = await db.collection(target.projection.collection).listIndexes().toArray();
      for (const declared of indexes) {
        expect(existing.find((i) => i['name'] === declared.name)).toMatchObject({
          key: declared.keys,
          ...(declared.unique ? { unique: true } : {}),
        });
      }
    },
    async close() {
      await producer.disconnect();
      await admin.disconnect();
      await db.dropDatabase().catch(() => undefined);
      await client.close();
    },
  };
  return world;
}

/**
 * The run every worker's end-to-end test shares: a world of its own, the built
 * worker, the whole stream produced and consumed to lag 0, the documents, dead
 * letters and declared indexes checked exactly; then the app's own `check` (its
 * queries); then a graceful stop that must exit 0.
 */
export async function projectStreamEndToEnd(
  target: EndToEndTarget,
  streamOptions: StreamOptions,
  check: (world: EndToEndWorld) => Promise<void>,
): Promise<void> {
  const world = await createEndToEndWorld(target, streamOptions);
  const worker = startWorkerProcess(target.app, world.env);
  try {
    await world.produce(world.records);
    await world.waitForLagZero(240_000);
    await world.expectExactDocuments();
    await world.expectPoisonDeadLettered({ exactlyOnce: true });
    await world.expectDeclaredIndexes(target.projection.indexes);
    await check(world);
    expect(await worker.stop('SIGTERM')).toBe(0);
  } finally {
    await worker.stop('SIGKILL');
    await world.close();
  }
}
