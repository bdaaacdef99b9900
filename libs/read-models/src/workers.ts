import { CONSUMER_GROUPS } from '@sc/event-schemas';
import { defineWorker } from '@sc/projection-core';
import { feedItemsProjection } from './feed-items.projection';
import { orderSummariesProjection } from './order-summaries.projection';
import { userCardsProjection } from './user-cards.projection';

/** The user-cards worker: `sc.domain.user` into `user_cards`. */
export const USER_CARDS_WORKER = defineWorker({
  app: 'user-cards-worker',
  group: CONSUMER_GROUPS.userCards,
  defaultPort: 9101,
  projection: userCardsProjection,
});

/** The feed-builder worker: `sc.domain.post` and `sc.domain.promotion` into `feed_items`. */
export const FEED_BUILDER_WORKER = defineWorker({
  app: 'feed-builder-worker',
  group: CONSUMER_GROUPS.feedBuilder,
  defaultPort: 9102,
  projection: feedItemsProjection,
});

/** The order-summary worker: `sc.domain.order` into `order_summaries`. */
export const ORDER_SUMMARY_WORKER = defineWorker({
  app: 'order-summary-worker',
  group: CONSUMER_GROUPS.orderSummaries,
  defaultPort: 9103,
  projection: orderSummariesProjection,
});

/** Every projection worker: what tools, tests, `npm start` and the manifests derive from. */
export const WORKERS = [USER_CARDS_WORKER, FEED_BUILDER_WORKER, ORDER_SUMMARY_WORKER] as const;

/** One of {@link WORKERS}. */
export type AnyWorker = (typeof WORKERS)[number];

/**
 * The probe port of each worker, in {@link WORKERS} order: its default port, or
 * `base + its index` when a base is given (several stacks on one machine, tests).
 */
export function probePorts(base?: number): number[] {
  return WORKERS.map((worker, i) => (base === undefined ? worker.defaultPort : base + i));
}
