/** The entity types of the contract, each with its own domain topic. */
export const ENTITY_TYPES = ['user', 'post', 'promotion', 'order'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

/** Domain topic of each entity type. The message key is the `entity_id`. */
export const DOMAIN_TOPICS = {
  user: 'sc.domain.user',
  post: 'sc.domain.post',
  promotion: 'sc.domain.promotion',
  order: 'sc.domain.order',
} as const satisfies Record<EntityType, string>;
export type DomainTopic = (typeof DOMAIN_TOPICS)[EntityType];

/** The entity type a domain topic carries, as a type: `sc.domain.order` → `order`. */
export type EntityTypeOfTopic<T extends DomainTopic> = {
  [E in EntityType]: (typeof DOMAIN_TOPICS)[E] extends T ? E : never;
}[EntityType];

/** The entity type a domain topic carries, or undefined for any other topic. */
export function entityTypeOfTopic(topic: string): EntityType | undefined {
  return ENTITY_TYPE_BY_TOPIC.get(topic);
}
const ENTITY_TYPE_BY_TOPIC = new Map<string, EntityType>(
  ENTITY_TYPES.map((entityType) => [DOMAIN_TOPICS[entityType], entityType]),
);

/** Consumer group of each projection. */
export const CONSUMER_GROUPS = {
  userCards: 'sc-proj-user-cards',
  feedBuilder: 'sc-proj-feed-builder',
  orderSummaries: 'sc-proj-order-summaries',
} as const;
export type ConsumerGroup = (typeof CONSUMER_GROUPS)[keyof typeof CONSUMER_GROUPS];

/** The domain topics each projection's group reads. */
export const GROUP_TOPICS = {
  'sc-proj-user-cards': [DOMAIN_TOPICS.user],
  'sc-proj-feed-builder': [DOMAIN_TOPICS.post, DOMAIN_TOPICS.promotion],
  'sc-proj-order-summaries': [DOMAIN_TOPICS.order],
} as const satisfies Record<ConsumerGroup, readonly DomainTopic[]>;

/** The dead-letter topic of a consumer group: `sc.dlq.<group>`. */
export function deadLetterTopicOf(group: string): string {
  return `sc.dlq.${group}`;
}

/** Every reason a record can be dead-lettered for (header `x-dlq-reason`). */
export const DEAD_LETTER_REASONS = [
  'invalid_json',
  'invalid_envelope',
  'invalid_payload',
  'topic_mismatch',
  'unsupported_schema_version',
  'missing_entity',
  'unknown_item',
  'handler_error',
] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** Headers a dead-lettered record carries besides its original ones. */
export const DEAD_LETTER_HEADERS = {
  reason: 'x-dlq-reason',
  detail: 'x-dlq-detail',
  originalTopic: 'x-original-topic',
  originalPartition: 'x-original-partition',
  originalOffset: 'x-original-offset',
  consumerGroup: 'x-consumer-group',
  failedAt: 'x-failed-at',
  attempt: 'x-attempt',
} as const;

/** `x-dlq-detail` is at most this many bytes of UTF-8. */
export const MAX_DETAIL_BYTES = 1024;
