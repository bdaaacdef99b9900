import type { DeadLetterReason, DomainEvent } from '@sc/event-schemas';
import { ProjectionError, describeError } from '@sc/service-kit';
import type { Logger } from '@sc/service-kit';
import { ChunkStopped, applyIsolating, decodeChunk, judgeChunk } from './chunk';
import type { EventOutcome, ProjectionSink } from '@sc/projection-core';
import type { ChunkRecord, RecordVerdict } from './chunk';
import { buildDeadLetterMessage } from './dead-letter';
import { sendDeadLetters } from './dead-letter-sender';
import type { DeadLetterProducer } from './dead-letter-sender';
import type { WorkerMetrics } from './metrics';
import type { Retrier } from './retrier';

/** Where a chunk comes from, and whether its partition is still ours. */
export interface ChunkSource {
  /** The physical topic (with any name prefix). */
  readonly topic: string;
  /** The contract's topic: what the decoder checks and what documents store as their position. */
  readonly logicalTopic: string;
  readonly partition: number;
  /** False once the worker stops or the partition is revoked or rebalancing. */
  readonly keepGoing: () => boolean;
}

/** The end of one chunk: done (commit up to its last offset) or stopped (commit nothing of it). */
export type ChunkResult =
  | { readonly status: 'done'; readonly verdicts: readonly RecordVerdict[]; readonly storeAttempts: number }
  | { readonly status: 'stopped' };

/** What a {@link ChunkProcessor} works with. */
export interface ChunkProcessorOptions<TEvent extends DomainEvent> {
  readonly sink: ProjectionSink<TEvent>;
  readonly deadLetters: DeadLetterProducer;
  /** The physical dead-letter topic. */
  readonly deadLetterTopic: string;
  /** The physical consumer group, for the `x-consumer-group` header. */
  readonly consumerGroup: string;
  readonly maxDeadLetterBatchBytes: number;
  readonly retrier: Retrier;
  readonly logger: Logger;
  readonly metrics?: WorkerMetrics;
  readonly now?: () => Date;
}

/** Decodes, applies, judges and dead-letters chunks of one partition's records. */
export interface ChunkProcessor {
  process(records: readonly ChunkRecord[], source: ChunkSource): Promise<ChunkResult>;
}

interface DeadLetterEntry {
  readonly record: ChunkRecord;
  readonly reason: DeadLetterReason;
  readonly detail: string;
}

/**
 * One chunk, in the order that keeps a crash at any step harmless:
 *  1. decode (never throws);
 *  2. hand the events to the sink with their positions; before each write the sink
 *     makes, every record refused so far (by the decoder or the fold) is sent to the
 *     dead-letter topic and acknowledged, so no document moves past a rejected record
 *     whose dead letter could still be lost;
 *  3. dead-letter what is left (rejections of chunks that wrote nothing);
 *  4. the caller commits.
 * A redelivery after a crash anywhere in between finds the documents at their new
 * positions, so the records they hold are `stale`, and the rest are judged against
 * the same state as the first time: the same outcomes, at worst a dead letter twice.
 * Infrastructure errors are retried by the retrier (never dead-lettered); a stop or
 * revocation ends the chunk as `stopped`.
 */
export function createChunkProcessor<TEvent extends DomainEvent>(
  options: ChunkProcessorOptions<TEvent>,
): ChunkProcessor {
  const { sink, retrier, logger, metrics } = options;
  const now = options.now ?? (() => new Date());

  async function process(records: readonly ChunkRecord[], source: ChunkSource): Promise<ChunkResult> {
    const where = { topic: source.topic, partition: source.partition };
    const key = `${source.topic}/${source.partition}`;
    const stopTimer = metrics?.batchDuration.startTimer();
    const decoded = decodeChunk<TEvent>(source.logicalTopic, records);
    const sent = new Set<ChunkRecord>();
    let storeAttempts = 0;

    const deadLetter = async (entries: readonly DeadLetterEntry[]): Promise<void> => {
      const fresh = [...new Map(entries.filter((e) => !sent.has(e.record)).map((e) => [e.record, e])).values()];
      if (fresh.length === 0) return;
      const failedAt = now();
      const messages = fresh.map((e) =>
        buildDeadLetterMessage(
          { ...where, ...e.record },
          {
            reason: e.reason,
            detail: e.detail,
            consumerGroup: options.consumerGroup,
            attempt: Math.max(storeAttempts, 1),
            failedAt,
          },
        ),
      );
      const result = await retrier.run(
        'send to dead-letter topic',
        key,
        () =>
          sendDeadLetters(options.deadLetters, options.deadLetterTopic, messages, options.maxDeadLetterBatchBytes, {
            ...where,
            offset: fresh[0]?.record.offset,
          }),
        { keepGoing: source.keepGoing },
      );
      if (result.status === 'stopped') throw new ChunkStopped();
      for (const entry of fresh) {
        sent.add(entry.record);
        logger.warn(
          { ...where, offset: entry.record.offset, reason: entry.reason, detail: entry.detail },
          'record dead-lettered',
        );
      }
    };

    const decoderRejections: DeadLetterEntry[] = [];
    for (const verdict of decoded.early.values())
      if (verdict.outcome === 'dead_lettered')
        decoderRejections.push({ record: verdict.record, reason: verdict.reason, detail: verdict.detail });

    try {
      let outcomes: readonly EventOutcome[] = [];
      if (decoded.events.length > 0) {
        const positions = decoded.eventRecords.map((r) => ({
          topic: source.logicalTopic,
          partition: source.partition,
          offset: Number(r.offset),
        }));
        const applied = await retrier.run(
          'write to store',
          key,
          () => {
            storeAttempts++;
            return applyIsolating(sink, decoded.events, {
              positions,
              keepGoing: source.keepGoing,
              beforeWrite: (rejected) =>
                deadLetter([
                  ...decoderRejections,
                  ...rejected.map((r) => ({
                    record: decoded.eventRecords[r.index]!,
                    reason: r.rejection.rejection,
                    detail: r.rejection.detail,
                  })),
                ]),
              onRefused: (error) =>
                logger.error(
                  { ...where, events: decoded.events.length, cause: describeError(error) },
                  'store refused a document of the batch; applying its events one by one',
                ),
            }).catch((e: unknown) =>
              // The partition and the chunk's first offset go into the retry log.
              Promise.reject(
                e instanceof ProjectionError ? e.withContext({ ...where, offset: records[0]?.offset }) : e,
              ),
            );
          },
          { keepGoing: source.keepGoing },
        );
        if (applied.status === 'stopped') return { status: 'stopped' };
        outcomes = applied.value.outcomes;
      }

      const verdicts = judgeChunk(decoded, outcomes);
      await deadLetter(
        verdicts.flatMap((v) =>
          v.outcome === 'dead_lettered' ? [{ record: v.record, reason: v.reason, detail: v.detail }] : [],
        ),
      );

      if (metrics) {
        metrics.consumed.inc({ topic: source.topic }, records.length);
        metrics.batchSize.observe(records.length);
        for (const v of verdicts) {
          metrics.events.inc({ event_type: metrics.eventTypeLabel(v.eventType), outcome: v.outcome });
          if (v.outcome === 'dead_lettered') metrics.deadLettered.inc({ reason: v.reason });
        }
      }
      stopTimer?.();
      return { status: 'done', verdicts, storeAttempts };
    } catch (error) {
      if (error instanceof ChunkStopped) return { status: 'stopped' };
      throw error;
    }
  }

  return { process };
}
