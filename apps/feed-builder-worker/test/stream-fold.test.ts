import { CONSUMER_GROUPS, GROUP_TOPICS } from '@sc/event-schemas';
import { describeStreamFold } from '@sc/testing';
import { feedItemsProjection } from '../src/feed-items.projection';

describeStreamFold(feedItemsProjection, GROUP_TOPICS[CONSUMER_GROUPS.feedBuilder], (s) => s.expected.feed_items, {
  users: 20,
  posts: 250,
  promotions: 80,
});
