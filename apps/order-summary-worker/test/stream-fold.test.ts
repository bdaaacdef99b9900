import { CONSUMER_GROUPS, GROUP_TOPICS } from '@sc/event-schemas';
import { describeStreamFold } from '@sc/testing';
import { orderSummariesProjection } from '../src/order-summaries.projection';

describeStreamFold(
  orderSummariesProjection,
  GROUP_TOPICS[CONSUMER_GROUPS.orderSummaries],
  (s) => s.expected.order_summaries,
  { users: 20, orders: 300 },
);
