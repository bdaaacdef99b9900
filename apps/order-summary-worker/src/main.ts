// Composition root of the order-summary-worker: configuration, wiring, start and stop live in
// runProjectionWorkerMain; the read model's rules live in order-summaries.projection.ts.
import { CONSUMER_GROUPS, GROUP_TOPICS } from '@sc/event-schemas';
import { runProjectionWorkerMain } from '@sc/kafka-runtime';
import { openVersionedStore } from '@sc/mongo-store';
import { orderSummariesProjection } from './order-summaries.projection';

runProjectionWorkerMain({
  app: 'order-summary-worker',
  projection: orderSummariesProjection.name,
  defaultHttpPort: 9103,
  group: CONSUMER_GROUPS.orderSummaries,
  topics: GROUP_TOPICS[CONSUMER_GROUPS.orderSummaries],
  openSink: ({ config, logger }) =>
    openVersionedStore({
      url: config.mongo.url,
      database: config.mongo.database,
      appName: config.app,
      projection: orderSummariesProjection,
      logger,
      maxConflictRounds: config.processing.maxConflictRounds,
      readConcern: config.mongo.readConcern,
      writeConcern: config.mongo.writeConcern,
    }),
});
