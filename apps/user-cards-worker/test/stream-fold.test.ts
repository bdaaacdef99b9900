import { CONSUMER_GROUPS, GROUP_TOPICS } from '@sc/event-schemas';
import { describeStreamFold } from '@sc/testing';
import { userCardsProjection } from '../src/user-cards.projection';

describeStreamFold(userCardsProjection, GROUP_TOPICS[CONSUMER_GROUPS.userCards], (s) => s.expected.user_cards, {
  users: 300,
});
