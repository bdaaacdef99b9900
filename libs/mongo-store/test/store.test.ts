// The apply loop without a server: an in-memory collection that answers `find` and
// `bulkWrite` as MongoDB does for the store's statements (guarded replaces, duplicate
// keys on insert), and the real driver on a stub topology for its own size check.
import { MongoClient } from 'mongodb';
import type { AnyBulkWriteOperation, Db, Document } from 'mongodb';
import pino from 'pino';
import { foldEvents, isRejection } from '@sc/projection-core';
import type { IndexedRejection, ProjectionDefinition, SourcePosition } from '@sc/projection-core';
import { counterEvents, counterProjection, evolveCounter } from '@sc/projection-core/testing';
import type { Counter, CounterEvent } from '@sc/projection-core/testing';
import {
  DUPLICATE_KEY,
  MAX_BSON_OBJECT_SIZE,
  StoreError,
  createVersionedStore,
  driverDocumentSizeLimit,
  toStoreError,
} from '../src';
import type { KeyLookup } from '../src';
import { groupEvents, operationOf, planRound, statementBytes } from '../src/plan';

jest.mock('mongodb/lib/operations/execute_operation', () => ({
  ...jest.requireActual<object>('mongodb/lib/operations/execute_operation'),
  executeOperation: jest.fn(),
}));
const { executeOperation } = jest.requireMock<{ executeOperation: jest.Mock }>(
  'mongodb/lib/operations/execute_operation',
);

const logger = pino({ level: 'silent' });
const KEY = 'counter_id';

/** What the store did, in order: reads, dead-letter hook calls and writes. */
type Step = { read: string[] } | { beforeWrite: IndexedRejection[] } | { write: AnyBulkWriteOperation<Document>[] };

/**
 * A collection in memory, keyed by `counter_id`. `rival` runs once, just before the
 * next bulk write is applied: a concurrent writer slipping in between read and write.
 */
function memoryDb() {
  const documents = new Map<string, Document>();
  const steps: Step[] = [];
  let rival: (() => void) | undefined;
  let readingPerKey = false;
  const collection = {
    find: (filter: Document) => ({
      toArray: async () => {
        readingPerKey = false;
        const wanted = (filter[KEY] as { $in: string[] }).$in;
        steps.push({ read: wanted });
        return [...documents.values()].filter((d) => wanted.includes(d[KEY] as string)).map((d) => ({ ...d }));
      },
    }),
    // The per-key reads of one round, one step: the same step as the batched read of that round.
    findOne: async (filter: Document) => {
      const last = steps.at(-1);
      if (last !== undefined && 'read' in last && readingPerKey) last.read.push(filter[KEY] as string);
      else steps.push({ read: [filter[KEY] as string] });
      readingPerKey = true;
      const document = documents.get(filter[KEY] as string);
      return document === undefined ? null : { ...document };
    },
    bulkWrite: async (operations: AnyBulkWriteOperation<Document>[]) => {
      readingPerKey = false;
      steps.push({ write: operations });
      const concurrent = rival;
      rival = undefined;
      concurrent?.();
      let insertedCount = 0;
      let matchedCount = 0;
      const writeErrors: { index: number; code: number; errmsg: string }[] = [];
      operations.forEach((operation, index) => {
        if ('insertOne' in operation) {
          const document = operation.insertOne.document as Document;
          if (documents.has(document[KEY] as string))
            writeErrors.push({ index, code: DUPLICATE_KEY, errmsg: 'E11000 duplicate key error' });
          else {
            documents.set(document[KEY] as string, { ...document });
            insertedCount++;
          }
        } else if ('updateOne' in operation) {
          const { filter, update } = operation.updateOne as { filter: Document; update: Document };
          const current = documents.get(filter[KEY] as string);
          if (current === undefined || !Object.entries(filter).every(([field, value]) => current[field] === value))
            return;
          const next: Document = { ...current, ...(update['$set'] as Document) };
          for (const field of Object.keys((update['$unset'] as Document | undefined) ?? {})) delete next[field];
          documents.set(filter[KEY] as string, next);
          matchedCount++;
        }
      });
      // As the driver reports write errors of an unordered bulk write (matched by name, as the store does).
      if (writeErrors.length > 0)
        throw Object.assign(new Error(writeErrors[0]!.errmsg), { name: 'MongoBulkWriteError', writeErrors });
      return { insertedCount, matchedCount };
    },
  };
  const db = { collection: () => collection, command: async () => ({ ok: 1 }) } as unknown as Db;
  return {
    db,
    documents,
    steps,
    setRival: (run: () => void) => {
      rival = run;
    },
  };
}

/** The document a sequential fold of `events` from nothing gives. */
const folded = (events: readonly CounterEvent[]): Counter => foldEvents(counterProjection, null, events).document!;

const at = (offset: number): SourcePosition => ({ topic: 'counters', partition: 0, offset });

/** The counter projection, with `padding` bytes of text in the documents of `big*` counters. */
function paddedProjection(padding: number): ProjectionDefinition<CounterEvent, Counter> {
  return {
    ...counterProjection,
    evolve: (doc, event) => {
      const next = evolveCounter(doc, event);
      if (isRejection(next) || !event.entity_id.startsWith('big')) return next;
      return { ...next, padding: 'x'.repeat(padding) } as typeof next;
    },
  };
}

describe.each<KeyLookup>(['batched', 'per-key'])('apply loop, %s reads', (keyLookup) => {
  /** The read commands of a round over `documents` documents: one `$in` find, or one find per document. */
  const reads = (documents: number): number => (keyLookup === 'batched' ? 1 : documents);

  it('dead-letters the rejections before the one write, and stores the positions', async () => {
    const memory = memoryDb();
    const store = createVersionedStore({
      db: memory.db,
      projection: counterProjection,
      logger,
      keyLookup,
      cachedDocuments: 0,
    });
    const orphan = counterEvents(1, 2, 'orphan')[1]!;
    const events = [orphan, ...counterEvents(2, 2)];
    const positions = events.map((_, i) => at(10 + i));
    const result = await store.applyBatch(events, {
      positions,
      beforeWrite: async (rejected) => {
        memory.steps.push({ beforeWrite: [...rejected] });
      },
    });

    expect(result).toMatchObject({
      applied: 4,
      stale: 0,
      rejected: 1,
      conflicts: 0,
      written: 2,
      commands: reads(3) + 1,
    });
    expect(memory.steps.map((s) => Object.keys(s)[0])).toEqual(['read', 'beforeWrite', 'write']);
    expect(memory.steps[1]).toEqual({
      beforeWrite: [{ index: 0, rejection: expect.objectContaining({ rejection: 'missing_entity' }) }],
    });
    expect(memory.documents.get('c0')).toMatchObject({ entity_version: 2, last_event_position: at(13) });
    expect(memory.documents.get('c1')).toMatchObject({ entity_version: 2, last_event_position: at(14) });
  });

  it('after a lost race counts the writes that landed, re-folds the others, and dead-letters again first', async () => {
    const memory = memoryDb();
    const store = createVersionedStore({
      db: memory.db,
      projection: counterProjection,
      logger,
      keyLookup,
      cachedDocuments: 0,
    });
    await store.applyBatch(counterEvents(2, 1));
    memory.steps.length = 0;

    const [c0v2, c1v2, c0v3] = counterEvents(2, 3).filter((e) => e.entity_version > 1) as CounterEvent[];
    const orphan = counterEvents(1, 2, 'orphan')[1]!;
    // A rival writes c0 v2 between this store's read and its write: the guarded replace of c0 matches nothing.
    memory.setRival(() => memory.documents.set('c0', { ...folded(counterEvents(1, 2)) }));
    const beforeWrite = jest.fn(async (rejected: readonly IndexedRejection[]) => {
      memory.steps.push({ beforeWrite: [...rejected] });
    });
    const result = await store.applyBatch([c0v2!, c1v2!, orphan, c0v3!], { beforeWrite });

    expect(memory.steps.map((s) => Object.keys(s)[0])).toEqual([
      'read',
      'beforeWrite',
      'write',
      'read',
      'beforeWrite',
      'write',
    ]);
    // The second round reads both written documents (c1's write landed) and writes c0 only.
    expect(memory.steps[3]).toEqual({ read: ['c0', 'c1'] });
    expect((memory.steps[5] as { write: unknown[] }).write).toHaveLength(1);
    // The orphan's rejection comes from the first round's fold: still the latest of its group.
    for (const call of beforeWrite.mock.calls)
      expect(call[0]).toEqual([{ index: 2, rejection: expect.objectContaining({ rejection: 'missing_entity' }) }]);
    expect(result).toMatchObject({
      outcomes: ['stale', 'applied', expect.objectContaining({ rejection: 'missing_entity' }), 'applied'],
      applied: 2,
      stale: 1,
      rejected: 1,
      conflicts: 1,
      written: 2,
      commands: reads(3) + 1 + reads(2) + 1,
    });
    expect(memory.documents.get('c0')).toEqual(folded(counterEvents(2, 3).filter((e) => e.entity_id === 'c0')));
  });

  it('re-folds a lost insert race (duplicate key) onto the rival document', async () => {
    const memory = memoryDb();
    const store = createVersionedStore({
      db: memory.db,
      projection: counterProjection,
      logger,
      keyLookup,
      cachedDocuments: 0,
    });
    const events = counterEvents(1, 2);
    memory.setRival(() => memory.documents.set('c0', { ...folded(events.slice(0, 1)) }));
    const result = await store.applyBatch(events);
    expect(result).toMatchObject({ outcomes: ['stale', 'applied'], conflicts: 1, written: 1, commands: 4 });
    expect(memory.documents.get('c0')).toEqual(folded(events));
  });

  it('writes nothing, and calls no hook, when every event is stale', async () => {
    const memory = memoryDb();
    const store = createVersionedStore({
      db: memory.db,
      projection: counterProjection,
      logger,
      keyLookup,
      cachedDocuments: 0,
    });
    await store.applyBatch(counterEvents(3, 2));
    memory.steps.length = 0;
    const beforeWrite = jest.fn(async () => undefined);
    const result = await store.applyBatch(counterEvents(3, 2), { beforeWrite });
    expect(result).toMatchObject({ applied: 0, stale: 6, written: 0, commands: reads(3) });
    expect(beforeWrite).not.toHaveBeenCalled();
    expect(memory.steps).toEqual([{ read: ['c0', 'c1', 'c2'] }]);
  });
});

describe('the documents it holds', () => {
  /** The counter projection that rejects an event whose predecessor it has not folded: it sees a document that is behind. */
  const contiguous: ProjectionDefinition<CounterEvent, Counter> = {
    ...counterProjection,
    evolve: (doc, event) =>
      doc !== null && !doc.applied.includes(event.entity_version - 1)
        ? { rejection: 'unknown_item', detail: `v${event.entity_version - 1} not folded` }
        : evolveCounter(doc, event),
  };

  it('reads nothing it can guess: documents it wrote last, and creations (inserted as new)', async () => {
    const memory = memoryDb();
    const store = createVersionedStore({ db: memory.db, projection: counterProjection, logger });
    await store.applyBatch(counterEvents(2, 1));
    memory.steps.length = 0;
    const events = [...counterEvents(2, 2).filter((e) => e.entity_version === 2), ...counterEvents(1, 1, 'new')];
    const result = await store.applyBatch(events);
    expect(memory.steps.map((s) => Object.keys(s)[0])).toEqual(['write', 'write']);
    expect(result).toMatchObject({ applied: 3, written: 3, commands: 2 });
    expect(memory.documents.get('c1')).toEqual(folded(counterEvents(2, 2).filter((e) => e.entity_id === 'c1')));
  });

  it('writes guarded by a document another writer moved on lose, and the loop re-reads and re-folds', async () => {
    const memory = memoryDb();
    const store = createVersionedStore({ db: memory.db, projection: counterProjection, logger });
    await store.applyBatch(counterEvents(1, 1));
    // Another writer (an instance that held the partition meanwhile) applied v2.
    memory.documents.set('c0', { ...folded(counterEvents(1, 2)) });
    const result = await store.applyBatch(counterEvents(1, 3).slice(1));
    expect(result).toMatchObject({ outcomes: ['stale', 'applied'], conflicts: 1, written: 1 });
    expect(memory.documents.get('c0')).toEqual(folded(counterEvents(1, 3)));
  });

  it('never dead-letters on a document it holds: a rejection is confirmed on the collection first', async () => {
    const memory = memoryDb();
    const store = createVersionedStore({ db: memory.db, projection: contiguous, logger });
    await store.applyBatch(counterEvents(1, 1));
    memory.documents.set('c0', { ...folded(counterEvents(1, 2)) });
    const beforeWrite = jest.fn(async (_rejected: readonly IndexedRejection[]) => undefined);
    const result = await store.applyBatch([counterEvents(1, 3)[2]!], { beforeWrite });
    expect(result.outcomes).toEqual(['applied']);
    expect(beforeWrite.mock.calls).toEqual([[[]]]);
    expect(memory.documents.get('c0')).toEqual(folded(counterEvents(1, 3)));

    // The same without the cache's doubt would have dead-lettered v3: the rule itself rejects on the stale copy.
    expect(isRejection(contiguous.evolve(folded(counterEvents(1, 1)), counterEvents(1, 3)[2]!))).toBe(true);
  });

  it('reads a document it does not hold when the guess of none rejects an event', async () => {
    const memory = memoryDb();
    memory.documents.set('c0', { ...folded(counterEvents(1, 1)) });
    const store = createVersionedStore({ db: memory.db, projection: counterProjection, logger });
    const beforeWrite = jest.fn(async (_rejected: readonly IndexedRejection[]) => undefined);
    // v2 without its creation: on no document it is missing_entity, on the collection's it applies.
    const result = await store.applyBatch([counterEvents(1, 2)[1]!], { beforeWrite });
    expect(memory.steps.map((s) => Object.keys(s)[0])).toEqual(['read', 'write']);
    expect(result.outcomes).toEqual(['applied']);
    expect(beforeWrite.mock.calls).toEqual([[[]]]);
  });

  it('a creation guessed new whose document exists loses its insert, is read, and turns out stale', async () => {
    const memory = memoryDb();
    memory.documents.set('c0', { ...folded(counterEvents(1, 2)) });
    const store = createVersionedStore({ db: memory.db, projection: counterProjection, logger });
    const result = await store.applyBatch(counterEvents(1, 3));
    expect(memory.steps.map((s) => Object.keys(s)[0])).toEqual(['write', 'read', 'write']);
    expect(result).toMatchObject({ outcomes: ['stale', 'stale', 'applied'], conflicts: 1, written: 1 });
    expect(memory.documents.get('c0')).toEqual(folded(counterEvents(1, 3)));
  });

  it('a redelivered creation whose document is just what it would write is stale: its refused insert did not land', async () => {
    const memory = memoryDb();
    memory.documents.set('c0', { ...folded(counterEvents(1, 1)) });
    const store = createVersionedStore({ db: memory.db, projection: counterProjection, logger });
    const result = await store.applyBatch(counterEvents(1, 1));
    expect(result).toMatchObject({ outcomes: ['stale'], applied: 0, stale: 1, written: 0, conflicts: 1 });
  });

  it('forgets what it holds on reset (a rebuild swapped a lagging collection in): the next batch reads', async () => {
    const memory = memoryDb();
    const store = createVersionedStore({ db: memory.db, projection: counterProjection, logger });
    await store.applyBatch(counterEvents(1, 2));
    // The collection swapped in is behind what the store wrote to the one it replaced.
    memory.documents.set('c0', { ...folded(counterEvents(1, 1)) });
    const third = counterEvents(1, 3)[2]!;
    memory.steps.length = 0;
    store.reset();
    await store.applyBatch([third]);
    expect(memory.steps[0]).toEqual({ read: ['c0'] });

    // Without the reset it plans on the document it holds (v2), which the collection does not have.
    const again = memoryDb();
    const cached = createVersionedStore({ db: again.db, projection: counterProjection, logger });
    await cached.applyBatch(counterEvents(1, 2));
    again.documents.set('c0', { ...folded(counterEvents(1, 1)) });
    again.steps.length = 0;
    await cached.applyBatch([third]);
    expect(Object.keys(again.steps[0]!)[0]).toBe('write');
  });

  it('keeps at most its capacity, and nothing with capacity 0', async () => {
    const memory = memoryDb();
    const store = createVersionedStore({ db: memory.db, projection: counterProjection, logger, cachedDocuments: 2 });
    await store.applyBatch(counterEvents(3, 1));
    memory.steps.length = 0;
    const secondVersions = counterEvents(3, 2).filter((e) => e.entity_version === 2);
    await store.applyBatch(secondVersions);
    // c0 was dropped (least recently used): only it is read (v2 on no document would be missing_entity).
    expect(memory.steps[0]).toEqual({ read: ['c0'] });

    const none = memoryDb();
    const uncached = createVersionedStore({ db: none.db, projection: counterProjection, logger, cachedDocuments: 0 });
    await uncached.applyBatch(counterEvents(3, 1));
    expect(none.steps[0]).toEqual({ read: ['c0', 'c1', 'c2'] });
  });
});

describe('documents of 16 MiB or more', () => {
  it('are refused before anything is written or dead-lettered: STORE_REJECTED, not retriable, naming the key', async () => {
    const memory = memoryDb();
    const store = createVersionedStore({ db: memory.db, projection: paddedProjection(MAX_BSON_OBJECT_SIZE), logger });
    const beforeWrite = jest.fn(async () => undefined);
    const error = await store.applyBatch([...counterEvents(2, 1), ...counterEvents(1, 1, 'big')], { beforeWrite }).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({
      code: 'STORE_REJECTED',
      retriable: false,
      context: { collection: 'counters', key: { counter_id: 'big0' }, limit: MAX_BSON_OBJECT_SIZE },
    });
    expect((error as StoreError).context['bytes']).toBeGreaterThanOrEqual(MAX_BSON_OBJECT_SIZE);
    expect((error as Error).message).toContain('{"counter_id":"big0"}');
    expect(beforeWrite).not.toHaveBeenCalled();
    // Creations are guessed new, so nothing was read either.
    expect(memory.steps).toEqual([]);
  });

  it('are written when just under the limit', async () => {
    const memory = memoryDb();
    const store = createVersionedStore({
      db: memory.db,
      projection: paddedProjection(MAX_BSON_OBJECT_SIZE - 1024),
      logger,
    });
    await expect(store.applyBatch(counterEvents(1, 1, 'big'))).resolves.toMatchObject({ written: 1 });
  });
});

describe("the driver's own size check", () => {
  /** A client whose topology is a stub announcing `maxBsonObjectSize`: the driver builds bulk writes, sends none. */
  function stubClient(maxBsonObjectSize: { value: number }) {
    const client = new MongoClient('mongodb://127.0.0.1:27017');
    Object.assign(client, {
      topology: { lastHello: () => ({ maxBsonObjectSize: maxBsonObjectSize.value }), s: { options: {} } },
    });
    return client;
  }

  /** The driver's error for an oversized statement, as `collection.bulkWrite` throws it. */
  async function driverRefusal(): Promise<Error> {
    const collection = stubClient({ value: 10 }).db('projections').collection('counters');
    return collection.bulkWrite([{ insertOne: { document: { counter_id: 'c0' } } }], { ordered: false }).then(
      () => {
        throw new Error('test bug: the driver accepted the statement');
      },
      (error: Error) => error,
    );
  }

  it('is recognised, with the limit the driver applied', async () => {
    const refusal = await driverRefusal();
    expect(refusal.message).toBe('Document is larger than the maximum size 10');
    expect(driverDocumentSizeLimit(refusal)).toBe(10);
    expect(driverDocumentSizeLimit(new Error('Document is larger than the maximum size 10'))).toBeUndefined();
    expect(driverDocumentSizeLimit(undefined)).toBeUndefined();
    // Why the write path must look for it: it carries no code, so classification alone calls it retriable.
    expect(toStoreError(refusal, 'bulkWrite to counters', {})).toMatchObject({ retriable: true });
  });

  it('agrees with statementBytes, for inserts and for guarded updates', async () => {
    executeOperation.mockResolvedValue({ ok: 1, n: 1 });
    const limit = { value: MAX_BSON_OBJECT_SIZE };
    const collection = stubClient(limit).db('projections').collection('counters');
    const projection = paddedProjection(1000);
    const insert = planRound(projection, groupEvents(projection, counterEvents(1, 1, 'big')), new Map()).writes[0]!;
    const existing = new Map([['big0', folded(counterEvents(1, 1, 'big'))]]);
    const update = planRound(projection, groupEvents(projection, counterEvents(1, 2, 'big').slice(1)), existing)
      .writes[0]!;
    expect([insert.kind, update.kind]).toEqual(['insert', 'update']);

    for (const write of [insert, update]) {
      const bytes = statementBytes(write, counterProjection.keyFields);
      const send = () =>
        collection.bulkWrite([operationOf(write, counterProjection.keyFields)], { ordered: false }).then(
          () => undefined,
          (error: unknown) => driverDocumentSizeLimit(error),
        );
      limit.value = bytes;
      await expect(send()).resolves.toBe(bytes);
      limit.value = bytes + 1;
      await expect(send()).resolves.toBeUndefined();
    }
  });

  it('becomes STORE_REJECTED naming the key, when the server announces a lower limit than 16 MiB', async () => {
    const limit = 4096;
    const client = stubClient({ value: limit });
    const empty = { toArray: async () => [] };
    // The driver's collection for writes; reads find nothing, so every document is inserted.
    const db = {
      collection: (name: string, options: object) =>
        Object.assign(client.db('projections').collection(name, options), { find: () => empty }),
    } as unknown as Db;
    const store = createVersionedStore({ db, projection: paddedProjection(2 * limit), logger });
    const error = await store.applyBatch([...counterEvents(1, 1), ...counterEvents(1, 1, 'big')]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StoreError);
    expect(error).toMatchObject({
      code: 'STORE_REJECTED',
      retriable: false,
      context: { key: { counter_id: 'big0' }, limit },
    });
    expect((error as StoreError).cause).toBeInstanceOf(Error);
    expect(executeOperation).not.toHaveBeenCalled();
  });
});
