// The workers' own write path, as the CLI's commands open it: the projection's
// versioned store with the workers' store settings, and the workers' chunk processor
// for a fold that produces no dead letters (rebuild, verify). One place, so that the
// commands fold exactly as the workers do.
import type { Message } from 'kafkajs';
import type { DomainEvent } from '@sc/event-schemas';
import { createChunkProcessor, createRetrier } from '@sc/kafka-runtime';
import type { ChunkProcessor } from '@sc/kafka-runtime';
import { openVersionedStore } from '@sc/mongo-store';
import type { ProjectionDefinition, ProjectionSink, VersionStamp } from '@sc/projection-core';
import { OPS_APP } from './context';
import type { OpsContext } from './context';

/** A projection over the contract's events, as the commands handle every worker's. */
export type OpsProjection = ProjectionDefinition<DomainEvent, VersionStamp>;

/**
 * The projection's store on `collection` (default its own) with the workers' store
 * settings; the store creates the declared indexes when it opens.
 */
export function openProjectionStore(
  ops: OpsContext,
  projection: OpsProjection,
  collection: string = projection.collection,
): ReturnType<typeof openVersionedStore<DomainEvent, VersionStamp>> {
  const { store } = ops.config;
  return openVersionedStore({
    url: store.url,
    database: store.database,
    appName: OPS_APP,
    projection: { ...projection, collection },
    logger: ops.logger,
    maxConflictRounds: store.maxConflictRounds,
    readConcern: store.readConcern,
    writeConcern: store.writeConcern,
  });
}

/**
 * The workers' chunk processor into `sink` for a fold that produces no dead letters:
 * what a worker would dead-letter is handed to `deadLetters` (kept or dropped by the
 * caller, whose summary counts it), and the processor's "record dead-lettered"
 * warnings are muted, since they would say what the command does not do.
 */
export function createFoldProcessor(
  ops: OpsContext,
  options: {
    readonly sink: ProjectionSink<DomainEvent>;
    readonly consumerGroup: string;
    /** Says, where a dead letter's topic is named, what the command is: `(not produced by <command>)`. */
    readonly command: string;
    readonly deadLetters: (messages: readonly Message[]) => void;
    readonly signal: AbortSignal;
  },
): ChunkProcessor {
  const { config } = ops;
  return createChunkProcessor<DomainEvent>({
    sink: options.sink,
    deadLetters: {
      send: (_topic, messages) => {
        options.deadLetters(messages);
        return Promise.resolve();
      },
    },
    deadLetterTopic: `(not produced by ${options.command})`,
    consumerGroup: options.consumerGroup,
    maxDeadLetterBatchBytes: config.worker.processing.maxDeadLetterBatchBytes,
    retrier: createRetrier({ policy: config.worker.retry, logger: ops.logger, signal: options.signal }),
    logger: ops.logger.child({}, { level: 'error' }),
  });
}
