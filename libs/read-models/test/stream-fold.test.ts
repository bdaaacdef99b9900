import { describeStreamFold } from '@sc/testing';
import { FEED_BUILDER_WORKER, ORDER_SUMMARY_WORKER, USER_CARDS_WORKER } from '../src';

describeStreamFold(USER_CARDS_WORKER, { users: 300 });
describeStreamFold(FEED_BUILDER_WORKER, { users: 20, posts: 250, promotions: 80 });
describeStreamFold(ORDER_SUMMARY_WORKER, { users: 20, orders: 300 });
