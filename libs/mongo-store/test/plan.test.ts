// The planning of the apply loop, without a database: what a round folds, which
// documents it writes and how, how writes are cut into commands, and how a write is
// recognised after a lost race.
import { BSON } from 'mongodb';
import { foldEvents } from '@sc/projection-core';
import type { FoldResult, SourcePosition } from '@sc/projection-core';
import { counterEvents, counterProjection } from '@sc/projection-core/testing';
import type { Counter, CounterEvent } from '@sc/projection-core/testing';
import {
  MAX_BSON_OBJECT_SIZE,
  batchOutcomes,
  documentBytes,
  documentBytesBound,
  fieldChanges,
  findOversizedWrite,
  groupEvents,
  hasLanded,
  keyString,
  operationOf,
  planCommands,
  planRound,
  rejectionsOf,
  statementBytes,
} from '../src/plan';
import type { PlannedWrite } from '../src/plan';

const { keyFields } = counterProjection;

/** The document a sequential fold of `events` from nothing gives. */
function folded(events: readonly CounterEvent[]): Counter {
  const document = foldEvents(counterProjection, null, events).document;
  if (document === null) throw new Error('test bug: the events build no document');
  return document;
}

/** The documents read, as `readDocuments` returns them: by key string. */
function read(...documents: Counter[]): Map<string, Counter> {
  return new Map(documents.map((d) => [keyString(keyFields, d), d]));
}

/** One round over `events` against the documents read. */
function round(events: readonly CounterEvent[], current: Map<string, Counter>, positions?: SourcePosition[]) {
  const groups = groupEvents(counterProjection, events, positions);
  return { groups, plan: planRound(counterProjection, groups, current) };
}

const at = (offset: number, partition = 0): SourcePosition => ({ topic: 'counters', partition, offset });

describe('groupEvents', () => {
  it('groups a batch by document, keeping batch order, batch indexes and positions', () => {
    const events = counterEvents(2, 2);
    const positions = events.map((_, i) => at(100 + i));
    const groups = groupEvents(counterProjection, events, positions);
    expect(groups.map((g) => ({ key: g.key, indexes: g.indexes, sources: g.sources }))).toEqual([
      { key: { counter_id: 'c0' }, indexes: [0, 2], sources: [at(100), at(102)] },
      { key: { counter_id: 'c1' }, indexes: [1, 3], sources: [at(101), at(103)] },
    ]);
    expect(groups[0]!.events.map((e) => e.event_id)).toEqual(['c0-v1', 'c0-v2']);
    expect(groups[0]!.id).toBe(keyString(keyFields, { counter_id: 'c0' }));
  });

  it('has no sources when the caller gave no positions', () => {
    expect(groupEvents(counterProjection, counterEvents(1, 1)).map((g) => g.sources)).toEqual([undefined]);
  });
});

describe('planRound', () => {
  it('writes nothing when every event is stale, and still reports the fold', () => {
    const events = counterEvents(1, 3);
    const { groups, plan } = round(events, read(folded(events)));
    expect(plan.writes).toEqual([]);
    expect(plan.folds.get(groups[0]!.id)?.outcomes).toEqual(['stale', 'stale', 'stale']);
  });

  it('writes nothing when every event is rejected, and keeps the rejections', () => {
    const orphans = counterEvents(1, 3, 'orphan').filter((e) => e.entity_version > 1);
    const { groups, plan } = round(orphans, read());
    expect(plan.writes).toEqual([]);
    expect(plan.folds.get(groups[0]!.id)?.outcomes).toEqual([
      expect.objectContaining({ rejection: 'missing_entity' }),
      expect.objectContaining({ rejection: 'missing_entity' }),
    ]);
  });

  it('inserts a document that was not read, and updates one that was, guarded by the version read', () => {
    const existing = folded(counterEvents(1, 2));
    // c1 from its creation, c0 from version 3 on: groups in order of first appearance (c1, c0).
    const events = counterEvents(2, 3).filter((e) => e.entity_id === 'c1' || e.entity_version === 3);
    const { plan } = round(events, read(existing));
    expect(plan.writes.map((w) => [w.kind, w.group.key])).toEqual([
      ['insert', { counter_id: 'c1' }],
      ['update', { counter_id: 'c0' }],
    ]);
    const [insert, update] = plan.writes;
    expect(insert?.document).toEqual(folded(events.filter((e) => e.entity_id === 'c1')));
    expect(update).toMatchObject({
      kind: 'update',
      readVersion: 2,
      previous: existing,
      document: { entity_version: 3, total: existing.total + 30, applied: [1, 2, 3] },
    });

    expect(operationOf(insert!, keyFields)).toEqual({ insertOne: { document: insert!.document } });
    // Only what the fold changed: counter_id and the fields it left alone are not sent.
    expect(operationOf(update!, keyFields)).toEqual({
      updateOne: {
        filter: { counter_id: 'c0', entity_version: 2 },
        update: {
          $set: {
            entity_version: 3,
            total: existing.total + 30,
            applied: [1, 2, 3],
            last_event_id: update!.document.last_event_id,
            updated_at: update!.document.updated_at,
          },
        },
      },
    });
  });

  it('sets the fields that changed or are new, unsets those the fold dropped, compares nested values by value', () => {
    const when = new Date('2026-11-28T08:00:00Z');
    const previous = { id: 'a', n: 1, tags: ['x', 'y'], nested: { at: when, list: [{ k: 1 }] }, gone: 'old' };
    const same = { id: 'a', n: 1, tags: ['x', 'y'], nested: { at: new Date(when), list: [{ k: 1 }] } };
    expect(fieldChanges(previous, same)).toEqual({ $set: {}, $unset: { gone: '' } });
    expect(fieldChanges(previous, { ...same, gone: 'old', n: 2, tags: ['x'], added: null })).toEqual({
      $set: { n: 2, tags: ['x'], added: null },
    });
    expect(fieldChanges(previous, { ...same, gone: 'old', nested: { at: when, list: [{ k: 2 }] } })).toEqual({
      $set: { nested: { at: when, list: [{ k: 2 }] } },
    });
    expect(fieldChanges({ ...previous, _id: 'kept' }, { ...previous, n: 3 })).toEqual({ $set: { n: 3 } });
  });

  it('leaves the documents read untouched, and builds each operation on a copy the driver may change', () => {
    const existing = folded(counterEvents(1, 1));
    const frozen = JSON.stringify(existing);
    const { plan } = round(counterEvents(1, 2), read(existing));
    expect(JSON.stringify(existing)).toBe(frozen);
    const write = plan.writes[0]!;
    const operation = operationOf(write, keyFields) as { updateOne: { update: { $set: object } } };
    expect(operation.updateOne.update.$set).not.toBe(write.document);
  });

  it('stores the position of the last event applied, and treats a record at or below it as folded already', () => {
    const events = counterEvents(1, 3);
    const positions = [at(7), at(8), at(9)];
    const { plan } = round(events, read(), positions);
    const document = plan.writes[0]!.document;
    expect(document).toMatchObject({ entity_version: 3, last_event_position: at(9) });
    expect(operationOf(plan.writes[0]!, keyFields)).toEqual({ insertOne: { document } });

    // A redelivery of offset 9 with a newer version than stored is still stale: its first delivery decided.
    const redelivered = { ...events[2]!, entity_version: 4, event_id: 'c0-v4' };
    const again = round([redelivered], read(document), [at(9)]);
    expect(again.plan.writes).toEqual([]);
    expect([...again.plan.folds.values()][0]?.outcomes).toEqual(['stale']);
    // Same offset on another partition: the positions say nothing, the version rule applies.
    const elsewhere = round([redelivered], read(document), [at(9, 1)]);
    expect(elsewhere.plan.writes[0]?.document).toMatchObject({ entity_version: 4, last_event_position: at(9, 1) });
  });
});

describe('planCommands', () => {
  /** 3 new documents and 10 existing ones, all changed. */
  function mixedWrites() {
    const existing = counterEvents(10, 1);
    const events = [...counterEvents(10, 2).filter((e) => e.entity_version === 2), ...counterEvents(3, 1, 'new')];
    return round(events, read(...existing.map((e) => folded([e])))).plan.writes;
  }

  it('sends the inserts together first, then the updates in slices of maxUpdatesPerCommand', () => {
    const commands = planCommands(mixedWrites(), 4);
    expect(commands.map((c) => c.map((w) => w.kind))).toEqual([
      ['insert', 'insert', 'insert'],
      ['update', 'update', 'update', 'update'],
      ['update', 'update', 'update', 'update'],
      ['update', 'update'],
    ]);
    expect(commands.flat().filter((w) => w.kind === 'update')).toEqual(
      mixedWrites().filter((w) => w.kind === 'update'),
    );
  });

  it('sends all updates in one command without a limit, and no empty commands', () => {
    const writes = mixedWrites();
    expect(planCommands(writes).map((c) => c.length)).toEqual([3, 10]);
    expect(
      planCommands(
        writes.filter((w) => w.kind === 'update'),
        40,
      ).map((c) => c.length),
    ).toEqual([10]);
    expect(
      planCommands(
        writes.filter((w) => w.kind === 'insert'),
        1,
      ).map((c) => c.length),
    ).toEqual([3]);
    expect(planCommands([], 4)).toEqual([]);
  });
});

describe('hasLanded', () => {
  const existing = folded(counterEvents(1, 1));
  const write = round(counterEvents(1, 2), read(existing)).plan.writes[0]!;

  it('recognises the planned document', () => {
    expect(hasLanded(write, write.document)).toBe(true);
    expect(hasLanded(write, { ...write.document, updated_at: new Date(0) })).toBe(true);
  });

  it('does not take the document a rival wrote, or none, for it', () => {
    expect(hasLanded(write, undefined)).toBe(false);
    expect(hasLanded(write, existing)).toBe(false);
    expect(hasLanded(write, { ...write.document, last_event_id: 'rival' })).toBe(false);
    expect(hasLanded(write, { ...write.document, entity_version: 3 })).toBe(false);
  });
});

describe('rejectionsOf and batchOutcomes', () => {
  it('place each outcome of the latest fold of each group at its index in the batch', () => {
    const events = [...counterEvents(1, 2, 'orphan').filter((e) => e.entity_version === 2), ...counterEvents(2, 2)];
    const first = round(events, read());
    expect(rejectionsOf(first.groups, first.plan.folds)).toEqual([
      { index: 0, rejection: expect.objectContaining({ rejection: 'missing_entity' }) },
    ]);
    expect(batchOutcomes(events.length, first.groups, first.plan.folds)).toMatchObject({
      outcomes: [expect.objectContaining({ rejection: 'missing_entity' }), 'applied', 'applied', 'applied', 'applied'],
      applied: 4,
      stale: 0,
      rejected: 1,
    });

    // A later round re-folds c0 only (a rival wrote it meanwhile): its new fold replaces the old.
    const c0 = first.groups.find((g) => g.key['counter_id'] === 'c0')!;
    const refold = planRound(counterProjection, [c0], read(folded(counterEvents(1, 2))));
    const latest: ReadonlyMap<string, FoldResult<Counter>> = new Map([...first.plan.folds, ...refold.folds]);
    expect(batchOutcomes(events.length, first.groups, latest)).toMatchObject({
      outcomes: [expect.objectContaining({ rejection: 'missing_entity' }), 'stale', 'applied', 'stale', 'applied'],
      applied: 2,
      stale: 2,
      rejected: 1,
    });
  });
});

describe('document size', () => {
  /** A write of a counter whose document holds `extra` more bytes of text. */
  function writeOfSize(extra: number, existing: boolean): PlannedWrite<CounterEvent, Counter> {
    const event = counterEvents(1, existing ? 2 : 1)[existing ? 1 : 0]!;
    const read_ = existing ? read(folded(counterEvents(1, 1))) : read();
    const write = round([event], read_).plan.writes[0]!;
    return { ...write, document: { ...write.document, padding: 'x'.repeat(extra) } as Counter };
  }

  it('measures what the driver sends: the insert with its `_id`, the update with its filter', () => {
    const insert = writeOfSize(10, false);
    const update = writeOfSize(10, true);
    const size = (value: object) => BSON.calculateObjectSize(value);
    expect(statementBytes(insert, keyFields)).toBe(size({ ...insert.document, _id: new BSON.ObjectId() }));
    expect(statementBytes(update, keyFields)).toBe(
      size({
        q: { counter_id: 'c0', entity_version: 1 },
        u: (operationOf(update, keyFields) as { updateOne: { update: object } }).updateOne.update,
      }),
    );
  });

  it('measures what a write leaves in the collection: the whole document, however small the update', () => {
    const update = writeOfSize(1000, true);
    expect(documentBytes(update)).toBe(BSON.calculateObjectSize({ ...update.document, _id: new BSON.ObjectId() }));
    expect(documentBytes(update)).toBeGreaterThan(1000);
  });

  it('finds the first write at or above the limit, with its size', () => {
    const small = writeOfSize(10, false);
    const large = writeOfSize(1000, true);
    const limit = documentBytes(large);
    expect(findOversizedWrite([small, large], documentBytes, limit)).toEqual({ write: large, bytes: limit });
    expect(findOversizedWrite([small, large], documentBytes, limit + 1)).toBeUndefined();
  });

  it('bounds what a write leaves in the collection from above, whatever text and values the document holds', () => {
    const write = writeOfSize(0, true);
    /** The write with `fields` added to its document. */
    const holding = (fields: object) => ({ ...write, document: { ...write.document, ...fields } as Counter });
    const cases = {
      ascii: { note: 'plain text' },
      twoBytes: { note: 'é'.repeat(50) },
      // Three bytes of UTF-8 for one UTF-16 code unit: the most there is, and what the bound counts.
      threeBytes: { note: '中'.repeat(10_000), ['键'.repeat(5)]: 1 },
      surrogatePairs: { note: '😀'.repeat(50) },
      loneSurrogate: { note: '\uD800'.repeat(20) },
      numbers: { int: 7, negative: -2_147_483_649, double: 0.1, big: 2n ** 60n, flag: true },
      empties: { nothing: null, missing: undefined },
      // An array's keys are its indexes, written as decimal text.
      longArray: { list: Array.from({ length: 10_000 }, (_, i) => i) },
      nested: {
        items: [{ at: new Date(0), tags: ['a', 'bé'], sub: { deep: [1, [2, [3]]] } }],
        list: new Array(12).fill('x'),
      },
      driverTypes: {
        id: new BSON.ObjectId(),
        price: BSON.Decimal128.fromString('12.50'),
        count: BSON.Long.fromNumber(5),
        blob: Buffer.alloc(300),
      },
      // The driver writes what toBSON returns: such values are measured exactly.
      toBsonOnPlainObject: { custom: { toBSON: (): object => ({ big: 'x'.repeat(5000) }) } },
      toBsonOnClass: {
        custom: new (class {
          toBSON(): object {
            return { big: 'x'.repeat(5000) };
          }
        })(),
      },
    };
    for (const [name, fields] of Object.entries(cases)) {
      const sized = holding(fields);
      expect({ name, fits: documentBytesBound(sized) >= documentBytes(sized) }).toEqual({ name, fits: true });
    }
    expect(documentBytes(holding(cases.toBsonOnPlainObject))).toBeGreaterThan(5000);
    // Tight where the text is all three-byte characters: a bound counting fewer bytes per code unit would be below.
    const cjk = holding({ note: '中'.repeat(10_000) });
    expect(documentBytesBound(cjk) - documentBytes(cjk)).toBeLessThan(documentBytesBound(write));
  });

  it('with a bound, measures exactly only the writes whose bound reaches the limit', () => {
    const small = writeOfSize(10, false);
    const large = writeOfSize(1000, true);
    const measured: PlannedWrite<CounterEvent, Counter>[] = [];
    const measure = (w: PlannedWrite<CounterEvent, Counter>) => {
      measured.push(w);
      return documentBytes(w);
    };
    const limit = documentBytes(large);

    expect(findOversizedWrite([small, large], measure, limit, documentBytesBound)).toEqual({
      write: large,
      bytes: limit,
    });
    expect(measured).toEqual([large]);
    // A bound at the limit is not a size at it: the write is measured, and fits.
    expect(documentBytesBound(large)).toBeGreaterThanOrEqual(limit + 1);
    expect(findOversizedWrite([small, large], measure, limit + 1, documentBytesBound)).toBeUndefined();
  });

  it('holds documents to 16 MiB by default', () => {
    const base = documentBytes(writeOfSize(0, false));
    const fits = writeOfSize(MAX_BSON_OBJECT_SIZE - base - 1, false);
    const tooLarge = writeOfSize(MAX_BSON_OBJECT_SIZE - base, false);
    expect(documentBytes(fits)).toBe(MAX_BSON_OBJECT_SIZE - 1);
    expect(findOversizedWrite([fits], documentBytes)).toBeUndefined();
    expect(findOversizedWrite([fits, tooLarge], documentBytes)).toEqual({
      write: tooLarge,
      bytes: MAX_BSON_OBJECT_SIZE,
    });
  });
});
