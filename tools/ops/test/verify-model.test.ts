import { userCardsProjection } from '@sc/read-models';
import { domainRecord } from '@sc/testing';
import {
  compareReadModel,
  compareStreams,
  createPendingTracker,
  diffValues,
  formatDifferences,
  pendingKeys,
} from '../src/compare';
import type { ModelSide } from '../src/compare';
import { createMemoryModel } from '../src/memory-model';

const TOPIC = 'sc.domain.user';
const at = (offset: number) => ({ topic: TOPIC, partition: 0, offset });

function records() {
  const created = (id: string, v = 1) =>
    domainRecord('user.created', id, v, { display_name: id, role: 'member', created_at: '2026-11-01T00:00:00Z' });
  return [
    created('u1'),
    domainRecord('user.verified', 'u1', 2, { verified_at: '2026-11-01T01:00:00Z' }),
    domainRecord('user.verified', 'u1', 2, { verified_at: '2026-11-01T01:00:00Z' }), // duplicate: stale
    domainRecord('user.suspended', 'u2', 2, { suspended_at: '2026-11-01T02:00:00Z' }), // before its created: refused
    created('u2'),
    { topic: TOPIC, key: Buffer.from('u3'), value: Buffer.from('{not json') },
  ].map((r, offset) => ({ offset: String(offset), key: r.key, value: r.value }));
}

describe('createMemoryModel', () => {
  it('folds with the worker’s rules: decoder, version rule, rejections', () => {
    const model = createMemoryModel(userCardsProjection);
    model.apply(TOPIC, 0, records());
    expect(model.counts).toEqual({ applied: 3, stale: 1, ignored: 0, dead_lettered: 2 });
    expect([...model.documents.keys()]).toEqual(['u1', 'u2']);
    expect(model.documents.get('u1')).toMatchObject({
      status: 'active',
      entity_version: 2,
      last_event_position: at(1),
    });
    expect(model.documents.get('u2')).toMatchObject({ status: 'pending', entity_version: 1 });
    // The newest record of a key, applied or not.
    expect(model.newest.get('u1')).toEqual(at(2));
    expect(model.newest.get('u2')).toEqual(at(4));
  });
});

describe('diffValues', () => {
  it('compares dates by instant, arrays by position and objects by field, ignoring _id', () => {
    expect(diffValues({ a: new Date(5), _id: 1 }, { a: new Date(5), _id: 2 })).toEqual([]);
    expect(
      diffValues({ items: [{ s: 'a' }, { s: 'b' }], n: null }, { items: [{ s: 'a' }, { s: 'c' }, { s: 'd' }] }),
    ).toEqual([
      { path: 'items.1.s', expected: 'b', actual: 'c' },
      { path: 'items.2', expected: undefined, actual: { s: 'd' } },
      { path: 'n', expected: null, actual: undefined },
    ]);
    expect(diffValues({ d: new Date(5) }, { d: '1970-01-01T00:00:00.005Z' })).toHaveLength(1);
  });
});

describe('compareReadModel', () => {
  const doc = (name: string, offset: number) => ({ user_id: name, v: name, last_event_position: at(offset) });
  const base = {
    committed: new Map([[`${TOPIC}/0`, 10]]),
    foldedUpTo: new Map([[`${TOPIC}/0`, 12]]),
    show: 10,
  };

  it('counts equal, missing, extra and different documents among those the live group has consumed', async () => {
    const report = await compareReadModel({
      ...base,
      expected: new Map([
        ['a', doc('a', 1)],
        ['b', doc('b', 2)],
        ['c', doc('c', 3)],
        ['late', doc('late', 11)],
      ]),
      newest: new Map([
        ['a', at(1)],
        ['b', at(2)],
        ['c', at(3)],
        ['late', at(11)], // not consumed yet (committed 10): left out
        ['refused', at(4)], // only refused events: no document either side
      ]),
      live: new Map([
        ['a', doc('a', 1)],
        ['c', { ...doc('c', 3), v: 'changed' }],
        ['x', doc('x', 5)], // no event gives it
        ['newer', doc('newer', 12)], // written from a record past the fold: left out
      ]),
    });
    expect(report).toMatchObject({ checked: 4, equal: 1, missing: 1, extra: 1, different: 1, notYetConsumed: 2 });
    expect(report.differences.map((d) => `${d.kind} ${d.key}`)).toEqual(['missing b', 'different c', 'extra x']);
    expect(formatDifferences(report.differences)).toEqual([
      '  missing    b: the events give {"user_id":"b","v":"b","last_event_position":{"topic":"sc.domain.user","partition":0,"offset":2}}',
      '  different  c:',
      '    v: events give "c", collection has "changed"',
      '  extra      x: no event gives {"user_id":"x","v":"x","last_event_position":{"topic":"sc.domain.user","partition":0,"offset":5}}',
    ]);
  });

  it('compares nothing of a partition the group has not committed, and keeps only `show` differences', async () => {
    const expected = new Map([
      ['a', doc('a', 1)],
      ['b', doc('b', 2)],
    ]);
    const newest = new Map([
      ['a', at(1)],
      ['b', at(2)],
    ]);
    expect(await compareReadModel({ ...base, committed: new Map(), expected, newest, live: new Map() })).toMatchObject({
      checked: 0,
      notYetConsumed: 2,
    });
    const report = await compareReadModel({ ...base, show: 1, expected, newest, live: new Map() });
    expect(report).toMatchObject({ checked: 2, missing: 2 });
    expect(report.differences).toHaveLength(1);
  });
});

describe('compareStreams', () => {
  const doc = (name: string, offset: number) => ({ user_id: name, v: name, last_event_position: at(offset) });
  const bounds = {
    committed: new Map([[`${TOPIC}/0`, 10]]),
    foldedUpTo: new Map([[`${TOPIC}/0`, 12]]),
    show: 2,
  };
  /** A side that streams its documents in the given order and counts its lookups, as a collection would. */
  function streamedSide(docs: ReturnType<typeof doc>[]): ModelSide & { lookups: number } {
    const side = {
      lookups: 0,
      async *documents() {
        for (const d of docs) {
          await Promise.resolve();
          yield d;
        }
      },
      async find(other: Readonly<Record<string, unknown>>) {
        side.lookups++;
        await new Promise((r) => setTimeout(r, docs.length % 3)); // lookups end out of order
        return docs.find((d) => d.user_id === other['user_id']);
      },
    };
    return side;
  }

  it('given both sides streamed unsorted with concurrent lookups, when compared, then it counts as the in-memory comparison and keeps the first differences in key order', async () => {
    const expected = [doc('e', 1), doc('b', 2), doc('c', 3), doc('late', 11), doc('a', 1), doc('d', 4)];
    const live = [doc('a', 1), { ...doc('c', 3), v: 'changed' }, doc('x', 5), doc('newer', 12), doc('e', 1)];
    const newest = new Map([
      ...expected.map((d) => [d.user_id, d.last_event_position] as const),
      ['refused-late', at(11)] as const, // only refused events, not consumed yet: counted once, no document
    ]);
    const byKey = (docs: ReturnType<typeof doc>[]) => new Map(docs.map((d) => [d.user_id, d]));
    const inMemory = await compareReadModel({ ...bounds, expected: byKey(expected), live: byKey(live), newest });
    const expectedSide = streamedSide(expected);
    const liveSide = streamedSide(live);
    const progress: number[] = [];
    const streamed = await compareStreams({
      ...bounds,
      keyOf: (d) => String(d['user_id']),
      expected: expectedSide,
      live: liveSide,
      pending: pendingKeys(newest, bounds.committed),
      concurrency: 4,
      onProgress: (n) => progress.push(n),
    });
    expect(streamed).toEqual(inMemory);
    expect(streamed).toMatchObject({ checked: 6, equal: 2, missing: 2, extra: 1, different: 1, notYetConsumed: 3 });
    // The two smallest keys among missing b, different c, missing d, extra x.
    expect(streamed.differences.map((d) => `${d.kind} ${d.key}`)).toEqual(['missing b', 'different c']);
    // One lookup per live document, one per expected document but the pending one: no side held in memory.
    expect([expectedSide.lookups, liveSide.lookups]).toEqual([live.length, expected.length - 1]);
    // Progress counts every document read, of both sides.
    expect(progress).toEqual(Array.from({ length: live.length + expected.length }, (_, i) => i + 1));
  });

  it('given a failing lookup, when compared, then the comparison fails with it', async () => {
    const side = streamedSide([doc('a', 1)]);
    side.find = () => Promise.reject(new Error('store down'));
    await expect(
      compareStreams({
        ...bounds,
        keyOf: (d) => String(d['user_id']),
        expected: side,
        live: side,
        pending: new Set(),
        concurrency: 2,
      }),
    ).rejects.toThrow('store down');
  });
});

describe('createPendingTracker', () => {
  it('given records noted in fold order, when read, then it holds exactly the keys whose newest record is not consumed', () => {
    const committed = new Map([[`${TOPIC}/0`, 10]]);
    const tracker = createPendingTracker(committed);
    const newest = new Map<string, ReturnType<typeof at>>();
    const noted: [string, number][] = [
      ['a', 3],
      ['b', 11],
      ['a', 12],
      ['c', 4],
    ];
    for (const [key, offset] of noted) {
      tracker.note(key, at(offset));
      newest.set(key, at(offset));
    }
    expect([...tracker.keys].sort()).toEqual(['a', 'b']);
    expect([...tracker.keys].sort()).toEqual([...pendingKeys(newest, committed)].sort());
  });
});
