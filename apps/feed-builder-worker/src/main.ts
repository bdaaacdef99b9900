// Composition root of the feed-builder-worker: configuration, wiring, start and stop live in
// runProjectionWorkerMain; the read model's rules live in feed-items.projection.ts.
import { CONSUMER_GROUPS, GROUP_TOPICS } from '@sc/event-schemas';
import { runProjectionWorkerMain } from '@sc/kafka-runtime';
import { openVersionedStore } from '@sc/mongo-store';
import { feedItemsProjection } from './feed-items.projection';

runProjectionWorkerMain({
  app: 'feed-builder-worker',
  projection: feedItemsProjection.name,
  defaultHttpPort: 9102,
  group: CONSUMER_GROUPS.feedBuilder,
  topics: GROUP_TOPICS[CONSUMER_GROUPS.feedBuilder],
  openSink: ({ config, logger }) =>
    openVersionedStore({
      url: config.mongo.url,
      database: config.mongo.database,
      appName: config.app,
      projection: feedItemsProjection,
      logger,
      maxConflictRounds: config.processing.maxConflictRounds,
      readConcern: config.mongo.readConcern,
      writeConcern: config.mongo.writeConcern,
    }),
});
