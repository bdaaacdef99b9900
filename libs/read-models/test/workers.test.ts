import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONSUMER_GROUPS, DOMAIN_TOPICS, EVENT_TYPES, decodeRecord } from '@sc/event-schemas';
import type { DomainEvent } from '@sc/event-schemas';
import { defineWorker, isRejection } from '@sc/projection-core';
import type { ProjectionDefinition, VersionStamp } from '@sc/projection-core';
import { WORKERS, orderSummariesProjection } from '../src';

interface Vector {
  readonly topic: string;
  readonly key: string;
  readonly value: unknown;
  readonly expect: { readonly kind: string };
}
const vectors = JSON.parse(
  readFileSync(resolve(__dirname, '../../event-schemas/test-vectors/valid.json'), 'utf8'),
) as Vector[];
const decoded = vectors.flatMap((v) => {
  const result = decodeRecord({ topic: v.topic, key: Buffer.from(v.key), value: Buffer.from(JSON.stringify(v.value)) });
  return result.kind === 'event' ? [result.event] : [];
});

describe('the workers, declared once', () => {
  it('have distinct apps, groups, collections and ports, and read every domain topic between them', () => {
    for (const field of ['app', 'group', 'defaultPort'] as const)
      expect(new Set(WORKERS.map((w) => w[field])).size).toBe(WORKERS.length);
    expect(new Set(WORKERS.map((w) => w.projection.collection)).size).toBe(WORKERS.length);
    expect(new Set(WORKERS.flatMap((w) => w.topics))).toEqual(new Set(Object.values(DOMAIN_TOPICS)));
  });

  it.each(WORKERS.map((w) => [w.app, w] as const))(
    '%s has a rule for every event type of its topics: each gives a document or a rejection',
    (_app, worker) => {
      const entities = new Set(worker.topics.map((t) => t.slice('sc.domain.'.length)));
      expect(worker.eventTypes).toEqual(EVENT_TYPES.filter((t) => entities.has(t.split('.')[0]!)));
      const projection = worker.projection as ProjectionDefinition<DomainEvent, VersionStamp>;
      const events = decoded.filter((e) => (worker.eventTypes as readonly string[]).includes(e.event_type));
      expect(new Set(events.map((e) => e.event_type))).toEqual(new Set(worker.eventTypes));
      const created = events.find((e) => e.event_type.endsWith('.created'))!;
      const document = projection.evolve(null, created);
      expect(isRejection(document)).toBe(false);
      const stamped = { ...document, entity_version: 1, last_event_id: 'e1', updated_at: new Date() } as VersionStamp;
      for (const event of events) {
        const next = projection.evolve(stamped, { ...event, entity_version: 2 });
        expect({ type: event.event_type, result: typeof next }).toEqual({ type: event.event_type, result: 'object' });
        expect(next).not.toBeNull();
      }
    },
  );

  it('cannot pair a projection with another group’s topics (a compile error, checked by typecheck)', () => {
    const declare = () =>
      defineWorker({
        app: 'wrong-worker',
        group: CONSUMER_GROUPS.userCards,
        defaultPort: 1,
        // @ts-expect-error order events never come from the user topic
        projection: orderSummariesProjection,
      });
    // At run time the declaration goes through; the compiler is what refuses it.
    expect(declare().topics).toEqual([DOMAIN_TOPICS.user]);
  });
});
