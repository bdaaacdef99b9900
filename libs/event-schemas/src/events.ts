import { z } from 'zod';
import { envelopeShape } from './envelope';
import type { Envelope } from './envelope';
import { EVENT_TYPES, PAYLOAD_SCHEMAS } from './payloads';
import type { EventType, PayloadOf } from './payloads';
import { ENTITY_TYPES, entityTypeOfTopic } from './topics';
import type { ConsumerGroup, DomainTopic, EntityType, EntityTypeOfTopic, GROUP_TOPICS } from './topics';

/** The entity type an event type belongs to: `order.confirmed` → `order`. */
export type EntityTypeOf<T extends EventType> = T extends `${infer E extends EntityType}.${string}` ? E : never;

/** A decoded event of one type: envelope fields plus its typed payload. */
export type EventOf<T extends EventType> = Omit<Envelope, 'event_type' | 'entity_type' | 'payload'> & {
  readonly event_type: T;
  readonly entity_type: EntityTypeOf<T>;
  readonly payload: PayloadOf<T>;
};

/** Any event of the contract, discriminated by `event_type`. */
export type DomainEvent = { [T in EventType]: EventOf<T> }[EventType];
export type UserEvent = Extract<DomainEvent, { entity_type: 'user' }>;
export type PostEvent = Extract<DomainEvent, { entity_type: 'post' }>;
export type PromotionEvent = Extract<DomainEvent, { entity_type: 'promotion' }>;
export type OrderEvent = Extract<DomainEvent, { entity_type: 'order' }>;

/** The events a domain topic carries: `sc.domain.order` → {@link OrderEvent}. */
export type EventOfTopic<T extends DomainTopic> = Extract<DomainEvent, { entity_type: EntityTypeOfTopic<T> }>;

/** The events a consumer group reads, from its topics in {@link GROUP_TOPICS}. */
export type EventOfGroup<G extends ConsumerGroup> = EventOfTopic<(typeof GROUP_TOPICS)[G][number]>;

/** The event types a set of topics carries, in the contract's order. */
export function eventTypesOfTopics(topics: readonly DomainTopic[]): EventType[] {
  const entities = new Set(topics.map((t) => entityTypeOfTopic(t)));
  return EVENT_TYPES.filter((t) => entities.has(t.slice(0, t.indexOf('.')) as EntityType));
}

function fullEventSchema<T extends EventType>(eventType: T) {
  const entityType = eventType.slice(0, eventType.indexOf('.')) as EntityTypeOf<T>;
  return z.object({
    ...envelopeShape,
    event_type: z.literal(eventType),
    entity_type: z.literal(entityType),
    payload: PAYLOAD_SCHEMAS[eventType],
  });
}

/** A complete zod schema (envelope + payload) for every event type; used for JSON Schema export and tests. */
export const EVENT_SCHEMAS = Object.fromEntries(EVENT_TYPES.map((t) => [t, fullEventSchema(t)])) as {
  [T in EventType]: ReturnType<typeof fullEventSchema<T>>;
};

function topicUnion(entityType: EntityType) {
  const members = EVENT_TYPES.filter((t) => t.startsWith(`${entityType}.`)).map((t) => EVENT_SCHEMAS[t]);
  const [first, ...rest] = members;
  if (!first) throw new Error(`no event types for ${entityType}`);
  return z.discriminatedUnion('event_type', [first, ...rest]);
}

/** One discriminated union per domain topic. */
export const TOPIC_EVENT_SCHEMAS = Object.fromEntries(ENTITY_TYPES.map((e) => [e, topicUnion(e)])) as Record<
  EntityType,
  ReturnType<typeof topicUnion>
>;
