import { foldEvents, groupByKey, isRejection } from '../src';
import { counterEvents, evolveCounter } from '../testing';
import type { Counter, CounterEvent } from '../testing';

const projection = { evolve: evolveCounter };
const [created, added2, added3] = counterEvents(1, 3) as [CounterEvent, CounterEvent, CounterEvent];

describe('foldEvents', () => {
  it('applies events in order and stamps version, event id and time', () => {
    const result = foldEvents(projection, null, [created, added2, added3]);
    expect(result.changed).toBe(true);
    expect(result.outcomes).toEqual(['applied', 'applied', 'applied']);
    expect(result.document).toEqual({
      counter_id: 'c0',
      total: 10 + 20 + 30,
      applied: [1, 2, 3],
      entity_version: 3,
      last_event_id: 'c0-v3',
      updated_at: added3.occurred_at,
    });
  });

  it('skips events not newer than the document, and leaves the input untouched', () => {
    const doc = foldEvents(projection, null, [created, added2]).document as Counter;
    const frozen = JSON.stringify(doc);
    const result = foldEvents(projection, doc, [added2, created, added3, added3]);
    expect(result.outcomes).toEqual(['stale', 'stale', 'applied', 'stale']);
    expect(result.document?.applied).toEqual([1, 2, 3]);
    expect(JSON.stringify(doc)).toBe(frozen);
  });

  it('reports nothing changed when every event is stale', () => {
    const doc = foldEvents(projection, null, [created, added2]).document as Counter;
    const result = foldEvents(projection, doc, [created, added2]);
    expect(result).toEqual({ document: doc, changed: false, outcomes: ['stale', 'stale'] });
  });

  it('rejects an event that needs a missing document, then applies the creation that follows', () => {
    const result = foldEvents(projection, null, [added2, created, added3]);
    expect(result.outcomes[0]).toMatchObject({ rejection: 'missing_entity' });
    expect(result.outcomes.slice(1)).toEqual(['applied', 'applied']);
    expect(result.document?.applied).toEqual([1, 3]);
  });

  it('turns an exception in evolve into a handler_error for that event only', () => {
    const broken: CounterEvent = { ...added2, event_type: 'counter.broken' };
    const result = foldEvents(projection, null, [created, broken, added3]);
    expect(isRejection(result.outcomes[1])).toBe(true);
    expect(result.outcomes[1]).toMatchObject({ rejection: 'handler_error', detail: 'evolve threw: a bug in evolve' });
    expect(result.document?.entity_version).toBe(3);
  });
});

describe('groupByKey', () => {
  it('keeps each group in the given order and remembers input positions', () => {
    const groups = groupByKey(['a1', 'b1', 'a2', 'b2', 'a3'], (s) => s[0]!);
    expect([...groups.entries()]).toEqual([
      ['a', { events: ['a1', 'a2', 'a3'], positions: [0, 2, 4] }],
      ['b', { events: ['b1', 'b2'], positions: [1, 3] }],
    ]);
  });
});
