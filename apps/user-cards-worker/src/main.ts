// Composition root of the user-cards-worker: the worker is declared once in @sc/read-models
// (USER_CARDS_WORKER); the runtime runs it (configuration, probes, start, graceful stop) over
// the MongoDB store.
import { runProjectionWorkerMain } from '@sc/kafka-runtime';
import { mongoSinkAdapter } from '@sc/mongo-store';
import { USER_CARDS_WORKER } from '@sc/read-models';

runProjectionWorkerMain({ worker: USER_CARDS_WORKER, sink: mongoSinkAdapter(USER_CARDS_WORKER.projection) });
