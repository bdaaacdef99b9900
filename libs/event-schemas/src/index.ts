export { decodeRecord, truncateDetail } from './decode';
export type { DecodeRejectionReason, DecodeResult, RawRecord } from './decode';
export {
  ClearableTextSchema,
  CountSchema,
  EnvelopeSchema,
  EventTypeSchema,
  IdSchema,
  SUPPORTED_SCHEMA_VERSION,
  TimestampSchema,
} from './envelope';
export type { Envelope } from './envelope';
export { EVENT_SCHEMAS, TOPIC_EVENT_SCHEMAS, eventTypesOfTopics } from './events';
export type {
  DomainEvent,
  EntityTypeOf,
  EventOf,
  EventOfGroup,
  EventOfTopic,
  OrderEvent,
  PostEvent,
  PromotionEvent,
  UserEvent,
} from './events';
export { EVENT_TYPES, ORDER_STATUSES, PAYLOAD_SCHEMAS, POST_CONTENT_TYPES, USER_ROLES } from './payloads';
export type { EventType, PayloadInputOf, PayloadOf } from './payloads';
export {
  CONSUMER_GROUPS,
  DEAD_LETTER_HEADERS,
  DEAD_LETTER_REASONS,
  DOMAIN_TOPICS,
  ENTITY_TYPES,
  GROUP_TOPICS,
  MAX_DETAIL_BYTES,
  deadLetterTopicOf,
  entityTypeOfTopic,
} from './topics';
export type { ConsumerGroup, DeadLetterReason, DomainTopic, EntityType, EntityTypeOfTopic } from './topics';
export { buildJsonSchemas } from './json-schema';
