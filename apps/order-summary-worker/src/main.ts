// Composition root of the order-summary-worker: the worker is declared once in @sc/read-models
// (ORDER_SUMMARY_WORKER); the runtime runs it (configuration, probes, start, graceful stop) over
// the MongoDB store.
import { runProjectionWorkerMain } from '@sc/kafka-runtime';
import { mongoSinkAdapter } from '@sc/mongo-store';
import { ORDER_SUMMARY_WORKER } from '@sc/read-models';

runProjectionWorkerMain({ worker: ORDER_SUMMARY_WORKER, sink: mongoSinkAdapter(ORDER_SUMMARY_WORKER.projection) });
