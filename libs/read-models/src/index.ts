export { feedItemsProjection, evolveFeedItem } from './feed-items.projection';
export type { FeedEvent, FeedItem } from './feed-items.projection';
export { orderSummariesProjection, evolveOrderSummary } from './order-summaries.projection';
export type { OrderItemSummary, OrderSummary } from './order-summaries.projection';
export { userCardsProjection, evolveUserCard } from './user-cards.projection';
export type { UserCard } from './user-cards.projection';
export { FEED_BUILDER_WORKER, ORDER_SUMMARY_WORKER, USER_CARDS_WORKER, WORKERS, probePorts } from './workers';
export type { AnyWorker } from './workers';
