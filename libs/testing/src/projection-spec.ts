import { decodeRecord, DOMAIN_TOPICS } from '@sc/event-schemas';
import type { DomainEvent, EntityType, EventOf, EventType, PayloadInputOf } from '@sc/event-schemas';
import { foldEvents } from '@sc/projection-core';
import type { ProjectionDefinition, RejectionReason, VersionStamp } from '@sc/projection-core';

const BASE_TIME = Date.parse('2026-11-26T10:00:00.000Z');

/**
 * A Kafka record of the contract on the wire: key and JSON value, as a producer
 * writes it. `occurred_at` is `version` minutes after a fixed time.
 */
export function domainRecord<T extends EventType>(
  eventType: T,
  entityId: string,
  version: number,
  payload: PayloadInputOf<T>,
): { readonly topic: string; readonly key: Buffer; readonly value: Buffer } {
  const entityType = eventType.split('.')[0] as EntityType;
  const wire = {
    event_id: `evt_${entityId}_${version}`,
    event_type: eventType,
    entity_type: entityType,
    entity_id: entityId,
    entity_version: version,
    occurred_at: new Date(BASE_TIME + version * 60_000).toISOString(),
    schema_version: 1,
    payload,
  };
  return { topic: DOMAIN_TOPICS[entityType], key: Buffer.from(entityId), value: Buffer.from(JSON.stringify(wire)) };
}

/** A decoded event of the contract, built from its wire form (so specs see exactly what the worker sees). */
export function domainEvent<T extends EventType>(
  eventType: T,
  entityId: string,
  version: number,
  payload: PayloadInputOf<T>,
): EventOf<T> {
  const result = decodeRecord(domainRecord(eventType, entityId, version, payload));
  if (result.kind !== 'event')
    throw new Error(`spec event ${eventType} v${version} does not decode: ${JSON.stringify(result)}`);
  return result.event as EventOf<T>;
}

/** A projection spec: given these events, when this one arrives, then this document (or this rejection). */
export interface ProjectionSpec<TEvent, TDoc> {
  readonly given: readonly TEvent[];
  readonly when: TEvent;
  readonly then: TDoc | { readonly rejected: RejectionReason };
}

/**
 * Checks a spec three ways, which must all agree: delivered once in order; every
 * event delivered twice; and all events re-sent afterwards in a stale (reversed)
 * order. A rejected event leaves the document as `given` made it. Returns the
 * document for further checks.
 */
export function checkProjectionSpec<TEvent extends DomainEvent, TDoc extends VersionStamp>(
  projection: ProjectionDefinition<TEvent, TDoc>,
  spec: ProjectionSpec<NoInfer<TEvent>, NoInfer<TDoc>>,
): TDoc | null {
  const history = [...spec.given, spec.when];
  const once = foldEvents(projection, null, history);
  const twice = foldEvents(
    projection,
    null,
    history.flatMap((e) => [e, e]),
  );
  const replayed = foldEvents(projection, once.document, [...history].reverse());

  if ('rejected' in spec.then) {
    expect(once.outcomes.at(-1)).toMatchObject({ rejection: spec.then.rejected });
    expect(twice.outcomes.at(-2)).toMatchObject({ rejection: spec.then.rejected });
    // Refused, it changes nothing: the document is the one the given events made.
    expect(once.document).toEqual(foldEvents(projection, null, spec.given).document);
  } else {
    expect(once.outcomes.at(-1)).toBe('applied');
    expect(once.document).toEqual(spec.then);
  }
  expect(twice.document).toEqual(once.document);
  if (once.document !== null) expect(replayed.changed).toBe(false);
  expect(replayed.document).toEqual(once.document);
  return once.document;
}

/**
 * The spec function of one projection: `given` and `when` take only its events, and
 * `then` only its document type or `{ rejected: reason }`. Each spec is checked as
 * {@link checkProjectionSpec} does (in order, every event twice, replayed stale).
 *
 * ```ts
 * const spec = projectionSpec(userCardsProjection);
 * spec({ given: [created], when: verified, then: card(2, { status: 'active' }) });
 * ```
 */
export function projectionSpec<TEvent extends DomainEvent, TDoc extends VersionStamp>(
  projection: ProjectionDefinition<TEvent, TDoc>,
): (spec: ProjectionSpec<TEvent, TDoc>) => TDoc | null {
  return (spec) => checkProjectionSpec(projection, spec);
}
