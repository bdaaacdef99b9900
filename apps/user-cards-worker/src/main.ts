// Composition root of the user-cards-worker: configuration, wiring, start and stop live in
// runProjectionWorkerMain; the read model's rules live in user-cards.projection.ts.
import { CONSUMER_GROUPS, GROUP_TOPICS } from '@sc/event-schemas';
import { runProjectionWorkerMain } from '@sc/kafka-runtime';
import { openVersionedStore } from '@sc/mongo-store';
import { userCardsProjection } from './user-cards.projection';

runProjectionWorkerMain({
  app: 'user-cards-worker',
  projection: userCardsProjection.name,
  defaultHttpPort: 9101,
  group: CONSUMER_GROUPS.userCards,
  topics: GROUP_TOPICS[CONSUMER_GROUPS.userCards],
  openSink: ({ config, logger }) =>
    openVersionedStore({
      url: config.mongo.url,
      database: config.mongo.database,
      appName: config.app,
      projection: userCardsProjection,
      logger,
      maxConflictRounds: config.processing.maxConflictRounds,
      readConcern: config.mongo.readConcern,
      writeConcern: config.mongo.writeConcern,
    }),
});
