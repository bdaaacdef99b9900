// Composition root of the feed-builder-worker: the worker is declared once in @sc/read-models
// (FEED_BUILDER_WORKER); the runtime runs it (configuration, probes, start, graceful stop) over
// the MongoDB store.
import { runProjectionWorkerMain } from '@sc/kafka-runtime';
import { mongoSinkAdapter } from '@sc/mongo-store';
import { FEED_BUILDER_WORKER } from '@sc/read-models';

runProjectionWorkerMain({ worker: FEED_BUILDER_WORKER, sink: mongoSinkAdapter(FEED_BUILDER_WORKER.projection) });
