import { decodeRecord } from '@sc/event-schemas';
import { ProjectionError, describeError } from '@sc/service-kit';
import type { DeadLetterReason, DomainEvent } from '@sc/event-schemas';
import type {
  ApplyOptions,
  ApplyResult,
  EventOutcome,
  ProjectionSink,
  RecordOutcome,
  Rejection,
} from '@sc/projection-core';
import type { IHeaders } from 'kafkajs';

/** A Kafka record as the runtime keeps it. */
export interface ChunkRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: IHeaders;
}

interface VerdictBase {
  readonly record: ChunkRecord;
  readonly eventType: string | undefined;
  readonly eventId: string | undefined;
}

/** One record's fate, for metrics, logs and the dead-letter topic. */
export type RecordVerdict =
  | (VerdictBase & { readonly outcome: Exclude<RecordOutcome, 'dead_lettered'>; readonly detail?: string })
  | (VerdictBase & { readonly outcome: 'dead_lettered'; readonly reason: DeadLetterReason; readonly detail: string });

/** A chunk after decoding: the events to hand to the sink and the verdicts known already. */
export interface DecodedChunk<TEvent extends DomainEvent> {
  readonly events: TEvent[];
  readonly eventRecords: ChunkRecord[];
  /** Verdicts of records that never reach the sink (ignored or rejected by the decoder), by position. */
  readonly early: Map<number, RecordVerdict>;
  readonly records: readonly ChunkRecord[];
}

/** Decodes a chunk of one partition's records. `topic` is the logical domain topic. */
export function decodeChunk<TEvent extends DomainEvent>(
  topic: string,
  records: readonly ChunkRecord[],
): DecodedChunk<TEvent> {
  const events: TEvent[] = [];
  const eventRecords: ChunkRecord[] = [];
  const early = new Map<number, RecordVerdict>();
  records.forEach((record, position) => {
    const result = decodeRecord({ topic, key: record.key, value: record.value });
    switch (result.kind) {
      case 'event':
        events.push(result.event as TEvent);
        eventRecords.push(record);
        break;
      case 'ignored':
        early.set(position, {
          record,
          outcome: 'ignored',
          eventType: result.eventType,
          eventId: result.eventId,
          detail: result.detail,
        });
        break;
      case 'rejected':
        early.set(position, {
          record,
          outcome: 'dead_lettered',
          eventType: result.eventType,
          eventId: result.eventId,
          reason: result.reason,
          detail: result.detail,
        });
        break;
    }
  });
  return { events, eventRecords, early, records };
}

/** Joins the sink's outcomes with the early verdicts: one verdict per record, in offset order. */
export function judgeChunk<TEvent extends DomainEvent>(
  decoded: DecodedChunk<TEvent>,
  outcomes: readonly EventOutcome[],
): RecordVerdict[] {
  const verdicts: RecordVerdict[] = [];
  let next = 0;
  decoded.records.forEach((record, position) => {
    const known = decoded.early.get(position);
    if (known) {
      verdicts.push(known);
      return;
    }
    const event = decoded.events[next]!;
    const outcome = outcomes[next];
    next++;
    const ids = { eventType: event.event_type, eventId: event.event_id };
    if (outcome === 'applied' || outcome === 'stale') {
      verdicts.push({ record, outcome, ...ids });
    } else if (outcome === undefined) {
      verdicts.push({
        record,
        outcome: 'dead_lettered',
        ...ids,
        reason: 'handler_error',
        detail: 'the store returned no outcome for this event',
      });
    } else {
      verdicts.push({ record, outcome: 'dead_lettered', ...ids, reason: outcome.rejection, detail: outcome.detail });
    }
  });
  return verdicts;
}

/** Thrown to unwind a chunk when the worker stops or the partition is revoked; nothing of it is committed. */
export class ChunkStopped extends Error {
  constructor() {
    super('chunk abandoned: stopping or partition revoked');
    this.name = 'ChunkStopped';
  }
}

/** Options of {@link applyIsolating}. */
export interface IsolatingOptions extends ApplyOptions {
  /** False once the worker stops or loses the partition: the one-by-one pass ends with {@link ChunkStopped}. */
  readonly keepGoing: () => boolean;
  /** Told once when the sink refuses the whole batch for a non-retriable reason. */
  readonly onRefused: (error: unknown) => void;
}

/**
 * Applies events through the sink. Retriable errors are thrown for the caller to
 * retry; a non-retriable refusal of the whole batch (an error the store proved to
 * be caused by one document) is narrowed down by applying the events one by one,
 * so only the events that cause it become `handler_error` (dead-lettered through
 * `beforeWrite` before the next write, so no later write moves past them first),
 * and the rest are applied, in order.
 */
export async function applyIsolating<TEvent extends DomainEvent>(
  sink: ProjectionSink<TEvent>,
  events: readonly TEvent[],
  options: IsolatingOptions,
): Promise<ApplyResult> {
  const { positions } = options;
  // An error of the dead-letter step inside a write is never the store refusing a document.
  let hookFailure: unknown;
  const beforeWrite =
    options.beforeWrite &&
    (async (rejected: Parameters<NonNullable<ApplyOptions['beforeWrite']>>[0]) => {
      try {
        await options.beforeWrite!(rejected);
      } catch (error) {
        hookFailure ??= error;
        throw error;
      }
    });
  /** Only a store's non-retriable ProjectionError proves one document at fault; anything else is retried. */
  const rethrowUnlessRefusal = (error: unknown): void => {
    if (hookFailure !== undefined) throw hookFailure;
    if (error instanceof ProjectionError && !error.retriable) return;
    if (error instanceof ProjectionError) throw error;
    throw new ProjectionError('SINK_FAILED', `the sink failed: ${describeError(error)}`, {
      retriable: true,
      cause: error,
    });
  };
  try {
    return await sink.applyBatch(events, { ...(positions && { positions }), ...(beforeWrite && { beforeWrite }) });
  } catch (error) {
    rethrowUnlessRefusal(error);
    options.onRefused(error);
    const outcomes: EventOutcome[] = [];
    let conflicts = 0;
    let commands = 0;
    for (const [index, event] of events.entries()) {
      if (!options.keepGoing()) throw new ChunkStopped();
      const position = positions?.[index];
      try {
        const single = await sink.applyBatch([event], {
          ...(position && { positions: [position] }),
          ...(beforeWrite && {
            beforeWrite: (rejected) => beforeWrite(rejected.map((r) => ({ index, rejection: r.rejection }))),
          }),
        });
        outcomes.push(
          single.outcomes[0] ?? { rejection: 'handler_error', detail: 'the store returned no outcome for this event' },
        );
        conflicts += single.conflicts;
        commands += single.commands;
      } catch (singleError) {
        rethrowUnlessRefusal(singleError);
        const rejection: Rejection = { rejection: 'handler_error', detail: describeError(singleError) };
        outcomes.push(rejection);
        await beforeWrite?.([{ index, rejection }]);
      }
    }
    return { outcomes, conflicts, commands };
  }
}
