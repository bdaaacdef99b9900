// One kafkajs batch, cut into chunks: each passes the pause fence, is processed, resolved
// once durable, and its commit asked for in the background. What a fault at each step
// means is in the repository README ("How a batch is processed").
import type { EachBatchPayload } from 'kafkajs';
import { describeError } from '@sc/service-kit';
import type { Logger } from '@sc/service-kit';
import type { ChunkProcessor } from './chunk-processor';
import { keepHeartbeating } from './heartbeat';
import { observeRecordAges } from './metrics';
import type { WorkerMetrics } from './metrics';
import type { BackgroundCommits } from './offset-committer';
import type { PauseFence } from './pause-fence';

/** The subset of kafkajs's batch payload a batch handler uses. */
export type BatchPayload = Pick<EachBatchPayload, 'batch' | 'resolveOffset' | 'heartbeat' | 'isRunning' | 'isStale'>;

/** Options of {@link createBatchHandler}. */
export interface BatchHandlerOptions {
  readonly chunks: ChunkProcessor;
  readonly commits: BackgroundCommits;
  /** The pause fence in force now, if any (it is created once the store is open). */
  readonly fence: () => PauseFence | undefined;
  /** Records per chunk (`MAX_EVENTS_PER_WRITE`). */
  readonly chunkSize: number;
  readonly heartbeatIntervalMs: number;
  /** The contract's topic name of a physical one (without `KAFKA_NAME_PREFIX`). */
  readonly logicalTopic: (physical: string) => string;
  /** True once the worker is stopping. */
  readonly stopping: () => boolean;
  readonly metrics: Pick<WorkerMetrics, 'recordAge' | 'lag'>;
  readonly logger: Logger;
  readonly now?: () => number;
}

/** The `eachBatch` of the worker's consumer, and when none is running. */
export interface BatchHandler {
  handle(payload: BatchPayload): Promise<void>;
  /**
   * Resolves once no batch is being handled. A stopping worker waits for it before it
   * disconnects: kafkajs drops a commit asked for once its consumer is stopping, so the
   * last chunks' commits must be asked for, and land, before.
   */
  idle(): Promise<void>;
}

/** Creates the worker's {@link BatchHandler}. */
export function createBatchHandler(options: BatchHandlerOptions): BatchHandler {
  const { chunks, commits, metrics, logger } = options;
  const now = options.now ?? Date.now;
  const running = new Set<Promise<void>>();
  const handle = async (payload: BatchPayload): Promise<void> => {
    const gate = options.fence();
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const where = { topic: batch.topic, partition: batch.partition };
    const heartbeats = keepHeartbeating(heartbeat, options.heartbeatIntervalMs, (error) =>
      logger.info({ ...where, cause: describeError(error) }, 'heartbeat refused (rebalance); leaving the batch'),
    );
    const keepGoing = (): boolean => isRunning() && !isStale() && !options.stopping() && !heartbeats.failed();
    const size = options.chunkSize;
    try {
      for (let start = 0; start < batch.messages.length; start += size) {
        if (!keepGoing()) return;
        // While paused the batch waits here, heart-beating, with nothing of it in flight.
        if (gate && !(await gate.enter(keepGoing))) return;
        const chunk = batch.messages.slice(start, start + size);
        let last: string;
        let storeAttempts: number;
        let committed: Promise<void> | undefined;
        try {
          commits.throwIfFailed();
          const result = await chunks.process(chunk, {
            ...where,
            logicalTopic: options.logicalTopic(batch.topic),
            keepGoing,
          });
          if (result.status === 'stopped') return;
          storeAttempts = result.storeAttempts;
          last = chunk[chunk.length - 1]!.offset;
          // Resolved only now: the store and the dead-letter topic have acknowledged everything up to `last`.
          resolveOffset(last);
          observeRecordAges(metrics.recordAge, chunk, now());
          committed = commits.commit({ ...where, offset: (BigInt(last) + 1n).toString() });
        } finally {
          // The chunk leaves the fence once its commit has settled: a pause acknowledged after it finds the offsets final.
          if (committed === undefined) gate?.leave();
          else void committed.finally(() => gate?.leave());
        }
        metrics.lag.set(
          { topic: batch.topic, partition: String(batch.partition) },
          Math.max(0, Number(batch.highWatermark) - Number(last) - 1),
        );
        logger.debug(
          { ...where, fromOffset: chunk[0]?.offset, toOffset: last, records: chunk.length, attempts: storeAttempts },
          'chunk processed',
        );
      }
    } finally {
      heartbeats.stop();
      // Leaving the group or rejoining: the commits asked for land first, so fewer records come again.
      if (!keepGoing()) await commits.settled();
    }
  };
  return {
    handle(payload) {
      const handled = handle(payload);
      const tracked = handled.then(
        () => undefined,
        () => undefined,
      );
      running.add(tracked);
      void tracked.finally(() => running.delete(tracked));
      return handled;
    },
    async idle() {
      while (running.size > 0) await Promise.all(running);
    },
  };
}
