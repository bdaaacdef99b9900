import { MongoClient } from 'mongodb';
import type { Db } from 'mongodb';
import pino from 'pino';
import {
  FERRETDB_MAX_UPDATES_PER_COMMAND,
  StoreError,
  connectMongo,
  createVersionedStore,
  openVersionedStore,
} from '../src';
import { foldEvents, groupByKey } from '@sc/projection-core';
import type { VersionedStore } from '../src';
import { counterEvents, counterProjection } from '@sc/projection-core/testing';
import type { Counter, CounterEvent } from '@sc/projection-core/testing';

const logger = pino({ level: 'silent' });
const url = (): string => process.env['MONGO_URL']!;

/** The documents a single sequential fold gives, keyed by id. */
function expectedDocuments(events: readonly CounterEvent[]): Map<string, Counter> {
  const out = new Map<string, Counter>();
  for (const [id, group] of groupByKey(events, (e) => e.entity_id)) {
    const doc = foldEvents(counterProjection, null, group.events).document;
    if (doc) out.set(id, doc);
  }
  return out;
}

async function allDocuments(store: VersionedStore<CounterEvent, Counter>): Promise<Map<string, Counter>> {
  const docs = (await store.collection.find({}, { projection: { _id: 0 } }).toArray()) as unknown as Counter[];
  return new Map(docs.map((d) => [d.counter_id, d]));
}

/**
 * The real database, but the first `bulkWrite` on any of its collections awaits
 * `before` first: a way to slip something in between a store's read and its write.
 */
function beforeFirstBulkWrite(db: Db, before: () => Promise<void>): Db {
  let held = false;
  return new Proxy(db, {
    get(target, prop, receiver) {
      if (prop !== 'collection') return Reflect.get(target, prop, receiver) as unknown;
      return (...args: Parameters<Db['collection']>) => {
        const collection = target.collection(...args);
        return new Proxy(collection, {
          get(c, p, r) {
            if (p !== 'bulkWrite') return Reflect.get(c, p, r) as unknown;
            return async (...writeArgs: Parameters<typeof collection.bulkWrite>) => {
              if (!held) {
                held = true;
                await before();
              }
              return collection.bulkWrite(...writeArgs);
            };
          },
        });
      };
    },
  });
}

/** A meeting point of two: the promise each call returns resolves once both have called. */
function meetingOfTwo(): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    if (++arrived === 2) open();
    return opened;
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

describe('versioned store (real MongoDB)', () => {
  let client: MongoClient;
  let db: Db;
  let store: VersionedStore<CounterEvent, Counter>;

  beforeAll(async () => {
    // A database of its own per run (this lib cannot use @sc/testing, which builds on it).
    const database = `t_store_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    ({ client, db } = await connectMongo({ url: url(), database, appName: 'store-test' }));
  });
  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });
  beforeEach(async () => {
    await db
      .collection(counterProjection.collection)
      .drop()
      .catch(() => undefined);
    // Small update commands work on MongoDB and on FerretDB v1 alike.
    store = createVersionedStore({
      db,
      projection: counterProjection,
      logger,
      maxUpdatesPerCommand: FERRETDB_MAX_UPDATES_PER_COMMAND,
    });
    await store.ensureIndexes();
  });

  it('folds a batch with one read and one bulk write, and the same batch again changes nothing', async () => {
    // Reading every document first (no cache, no guess): the production path's one find.
    const reading = createVersionedStore({ db, projection: counterProjection, logger, cachedDocuments: 0 });
    const events = counterEvents(50, 4);
    const first = await reading.applyBatch(events);
    expect(first).toMatchObject({ applied: 200, stale: 0, rejected: 0, conflicts: 0, written: 50, commands: 2 });
    const afterFirst = await allDocuments(store);
    expect(afterFirst).toEqual(expectedDocuments(events));

    const second = await reading.applyBatch(events);
    expect(second).toMatchObject({ applied: 0, stale: 200, written: 0, commands: 1 });
    expect(await allDocuments(store)).toEqual(afterFirst);
  });

  it('guesses what it can: creations inserted unread, documents it wrote not read again, and a wrong guess re-read', async () => {
    const events = counterEvents(50, 4);
    const first = await store.applyBatch(events);
    expect(first).toMatchObject({ applied: 200, written: 50, conflicts: 0, commands: 1 });
    const again = await store.applyBatch(events);
    expect(again).toMatchObject({ applied: 0, stale: 200, written: 0, commands: 0 });

    // Another store (a worker that never saw these documents) is handed the creations again:
    // its inserts hit the unique key index, it reads the documents and finds the events stale.
    const other = createVersionedStore({ db, projection: counterProjection, logger });
    const replayed = await other.applyBatch([...events, ...counterEvents(50, 5).filter((e) => e.entity_version === 5)]);
    expect(replayed).toMatchObject({ applied: 50, stale: 200, conflicts: 50, written: 50 });
    expect(await allDocuments(store)).toEqual(expectedDocuments(counterEvents(50, 5)));
  });

  it('writes new documents in one insert command and replaces in update commands of the configured size', async () => {
    const sliced = createVersionedStore({ db, projection: counterProjection, logger, maxUpdatesPerCommand: 4 });
    await sliced.applyBatch(counterEvents(10, 2));
    const events = [...counterEvents(10, 3).filter((e) => e.entity_version === 3), ...counterEvents(5, 1, 'new')];
    const result = await sliced.applyBatch(events);
    // 1 insert (5 new, guessed) + 3 updates (10 by 4); the 10 documents it wrote before are not read.
    expect(result).toMatchObject({ applied: 15, written: 15, commands: 4 });
    expect(await allDocuments(store)).toEqual(
      expectedDocuments([...counterEvents(10, 3), ...counterEvents(5, 1, 'new')]),
    );
  });

  it('ends in the clean documents when every event is duplicated and stale versions are replayed later', async () => {
    const clean = counterEvents(40, 5);
    const duplicated = clean.flatMap((e) => [e, e]);
    for (const batch of chunks(duplicated, 37)) await store.applyBatch(batch);
    const replay = [...clean].reverse().filter((e) => e.entity_version <= 3);
    const replayed = await store.applyBatch(replay);
    expect(replayed.applied).toBe(0);
    expect(replayed.stale).toBe(replay.length);
    expect(await allDocuments(store)).toEqual(expectedDocuments(clean));
  });

  it('rejects events for a missing document instead of building a partial one', async () => {
    const orphan = counterEvents(1, 3, 'orphan').filter((e) => e.entity_version > 1);
    const result = await store.applyBatch(orphan);
    expect(result.rejected).toBe(2);
    expect(result.outcomes).toEqual([
      expect.objectContaining({ rejection: 'missing_entity' }),
      expect.objectContaining({ rejection: 'missing_entity' }),
    ]);
    expect(await store.findByKey({ counter_id: 'orphan0' })).toBeNull();
  });

  it('re-reads and re-folds a guarded write that loses a race', async () => {
    await store.applyBatch(counterEvents(3, 1));
    const rival = createVersionedStore({
      db,
      projection: counterProjection,
      logger,
      maxUpdatesPerCommand: FERRETDB_MAX_UPDATES_PER_COMMAND,
    });
    const later = counterEvents(3, 3).filter((e) => e.entity_version > 1);
    const rivalEvents = later.filter((e) => e.entity_version === 2 && e.entity_id === 'c1');
    // The real collection, with one rival write slipped in between this store's read and its write.
    let raced = false;
    const racingDb = beforeFirstBulkWrite(db, async () => {
      raced = true;
      await rival.applyBatch(rivalEvents);
    });
    const racing = createVersionedStore({
      db: racingDb,
      projection: counterProjection,
      logger,
      maxUpdatesPerCommand: FERRETDB_MAX_UPDATES_PER_COMMAND,
    });
    const result = await racing.applyBatch(later);
    expect(raced).toBe(true);
    expect(result.conflicts).toBe(1);
    expect(result.applied).toBe(5);
    expect(result.stale).toBe(1);
    expect(await allDocuments(store)).toEqual(expectedDocuments(counterEvents(3, 3)));
  });

  it('gives exactly the sequential result when two stores apply overlapping batches concurrently', async () => {
    const events = counterEvents(20, 30);
    const otherClient = await MongoClient.connect(url());
    try {
      // The first round is forced to race: each store's first write waits until both have read the
      // empty collection, so both insert each of the 20 documents and one insert of each pair loses;
      // neither goes on before both are done with it. Later rounds race as timing has it.
      const bothRead = meetingOfTwo();
      const bothDoneFirstRound = meetingOfTwo();
      const mine = createVersionedStore({
        db: beforeFirstBulkWrite(db, bothRead),
        projection: counterProjection,
        logger,
        maxUpdatesPerCommand: FERRETDB_MAX_UPDATES_PER_COMMAND,
      });
      const other = createVersionedStore({
        db: beforeFirstBulkWrite(otherClient.db(db.databaseName), bothRead),
        projection: counterProjection,
        logger,
        maxUpdatesPerCommand: FERRETDB_MAX_UPDATES_PER_COMMAND,
      });
      const rounds = chunks(events, 40);
      let firstRoundConflicts = 0;
      // Both loops start together on overlapping documents, so guarded writes race.
      const loop = async (s: VersionedStore<CounterEvent, Counter>, offset: number) => {
        for (let i = 0; i < rounds.length; i++) {
          // Each store sees every round, shifted: most documents are written by both.
          const batch = [...rounds[i]!, ...(rounds[i + offset] ?? [])];
          const { conflicts } = await s.applyBatch(batch);
          if (i === 0) {
            firstRoundConflicts += conflicts;
            await bothDoneFirstRound();
          }
        }
      };
      await Promise.all([loop(mine, 0), loop(other, 1)]);
      expect(await allDocuments(store)).toEqual(expectedDocuments(events));
      // Each lost insert of the forced round was seen as lost (the other store's document, not the one
      // planned), re-read and re-folded: the documents above show nothing was lost or applied twice.
      expect(firstRoundConflicts).toBe(20);
    } finally {
      await otherClient.close();
    }
  });

  it('creates its indexes idempotently, unique and descending as declared', async () => {
    await store.ensureIndexes();
    const indexes = await store.collection.listIndexes().toArray();
    expect(indexes.find((i) => i['name'] === 'counter_id_unique')).toMatchObject({
      key: { counter_id: 1 },
      unique: true,
    });
    expect(indexes.find((i) => i['name'] === 'total_desc')).toMatchObject({ key: { total: -1, counter_id: 1 } });
  });

  it('fails clearly, and not retriably, when an existing index conflicts with the declaration', async () => {
    await db.collection(counterProjection.collection).dropIndex('total_desc');
    await db.collection(counterProjection.collection).createIndex({ total: 1 }, { name: 'total_desc' });
    const error = await store.ensureIndexes().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({ code: 'INDEX_CONFLICT', retriable: false });
    expect((error as Error).message).toContain('total_desc');
  });

  it('reports an unreachable server as retriable', async () => {
    const error = await openVersionedStore({
      url: 'mongodb://127.0.0.1:1',
      database: 'x',
      appName: 'unreachable',
      projection: counterProjection,
      logger,
      serverSelectionTimeoutMs: 300,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE', retriable: true });
  });
});
