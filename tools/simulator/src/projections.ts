import { CONSUMER_GROUPS, GROUP_TOPICS, deadLetterTopicOf } from '@sc/event-schemas';

const DECLARED = [
  {
    name: 'user_cards',
    app: 'user-cards-worker',
    group: CONSUMER_GROUPS.userCards,
    topics: GROUP_TOPICS[CONSUMER_GROUPS.userCards],
    collection: 'user_cards',
  },
  {
    name: 'feed_items',
    app: 'feed-builder-worker',
    group: CONSUMER_GROUPS.feedBuilder,
    topics: GROUP_TOPICS[CONSUMER_GROUPS.feedBuilder],
    collection: 'feed_items',
  },
  {
    name: 'order_summaries',
    app: 'order-summary-worker',
    group: CONSUMER_GROUPS.orderSummaries,
    topics: GROUP_TOPICS[CONSUMER_GROUPS.orderSummaries],
    collection: 'order_summaries',
  },
] as const;

/** The three projections as the tools see them. */
export const PROJECTIONS = DECLARED.map((p) => ({
  ...p,
  topics: p.topics as readonly string[],
  deadLetterTopic: deadLetterTopicOf(p.group),
}));

export type Projection = (typeof PROJECTIONS)[number];
