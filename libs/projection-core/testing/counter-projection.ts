import { missingEntity } from '../src';
import type { DocumentBody, ProjectionDefinition, Rejection } from '../src';

/** A tiny projection for the store's own tests: a running total with the order events were applied in. */
export interface CounterEvent {
  readonly event_id: string;
  readonly event_type: 'counter.created' | 'counter.added' | 'counter.broken';
  readonly entity_id: string;
  readonly entity_version: number;
  readonly occurred_at: Date;
  readonly payload: { readonly n: number };
}

export interface Counter {
  readonly counter_id: string;
  readonly total: number;
  readonly applied: readonly number[];
  readonly entity_version: number;
  readonly last_event_id: string;
  readonly updated_at: Date;
}

export function evolveCounter(doc: Counter | null, event: CounterEvent): DocumentBody<Counter> | Rejection {
  if (event.event_type === 'counter.created')
    return { counter_id: event.entity_id, total: event.payload.n, applied: [event.entity_version] };
  if (doc === null) return missingEntity(event);
  if (event.event_type === 'counter.broken') throw new Error('a bug in evolve');
  return { ...doc, total: doc.total + event.payload.n, applied: [...doc.applied, event.entity_version] };
}

export const counterProjection: ProjectionDefinition<CounterEvent, Counter> = {
  name: 'counters',
  collection: 'counters',
  keyFields: ['counter_id'],
  keyOf: (event) => ({ counter_id: event.entity_id }),
  indexes: [
    { name: 'counter_id_unique', keys: { counter_id: 1 }, unique: true },
    { name: 'total_desc', keys: { total: -1, counter_id: 1 } },
  ],
  evolve: evolveCounter,
};

/** Events 1..versions of `entities` counters, each entity's events in version order, entities interleaved. */
export function counterEvents(entities: number, versions: number, idPrefix = 'c'): CounterEvent[] {
  const events: CounterEvent[] = [];
  for (let v = 1; v <= versions; v++) {
    for (let e = 0; e < entities; e++) {
      events.push({
        event_id: `${idPrefix}${e}-v${v}`,
        event_type: v === 1 ? 'counter.created' : 'counter.added',
        entity_id: `${idPrefix}${e}`,
        entity_version: v,
        occurred_at: new Date(Date.UTC(2026, 0, 1, 0, 0, v)),
        payload: { n: v * 10 + (e % 7) },
      });
    }
  }
  return events;
}
