import { userCardsProjection } from '@sc/read-models';
import { domainRecord } from '@sc/testing';
import { compareReadModel, diffValues, formatDifferences } from '../src/compare';
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

  it('counts equal, missing, extra and different documents among those the live group has consumed', () => {
    const report = compareReadModel({
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

  it('compares nothing of a partition the group has not committed, and keeps only `show` differences', () => {
    const expected = new Map([
      ['a', doc('a', 1)],
      ['b', doc('b', 2)],
    ]);
    const newest = new Map([
      ['a', at(1)],
      ['b', at(2)],
    ]);
    expect(compareReadModel({ ...base, committed: new Map(), expected, newest, live: new Map() })).toMatchObject({
      checked: 0,
      notYetConsumed: 2,
    });
    const report = compareReadModel({ ...base, show: 1, expected, newest, live: new Map() });
    expect(report).toMatchObject({ checked: 2, missing: 2 });
    expect(report.differences).toHaveLength(1);
  });
});
