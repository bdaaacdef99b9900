import { decodeRecord } from '@sc/event-schemas';
import { describeError, isRetriable } from '@sc/service-kit';
import type { DeadLetterReason, DomainEvent } from '@sc/event-schemas';
import type { IHeaders } from 'kafkajs';

/** A Kafka record as the runtime keeps it. */
export interface ChunkRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: IHeaders;
}

/** What the sink may say of one event. */
export type SinkOutcome = 'applied' | 'stale' | { readonly rejection: DeadLetterReason; readonly detail: string };

/** Where the read model is written: the versioned store implements it. */
export interface ProjectionSink<TEvent extends DomainEvent = DomainEvent> {
  /** Applies events in order per entity; one outcome per event. Throws ProjectionErrors. */
  applyBatch(
    events: readonly TEvent[],
  ): Promise<{ readonly outcomes: readonly SinkOutcome[]; readonly conflicts: number; readonly commands: number }>;
  /** Throws unless the store answers. */
  ping(): Promise<void>;
}

/** One record's fate, for metrics, logs and the dead-letter topic. */
export interface RecordVerdict {
  readonly record: ChunkRecord;
  readonly outcome: 'applied' | 'stale' | 'ignored' | 'dead_lettered';
  readonly eventType: string | undefined;
  readonly eventId: string | undefined;
  readonly reason?: DeadLetterReason;
  readonly detail?: string;
}

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
  outcomes: readonly SinkOutcome[],
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

/** What {@link ProjectionSink.applyBatch} returns. */
export type SinkResult = Awaited<ReturnType<ProjectionSink['applyBatch']>>;

/**
 * Applies events through the sink. Retriable errors are thrown for the caller to
 * retry; a non-retriable refusal of the whole batch is narrowed down by applying
 * the events one by one, so only the events that cause it become `handler_error`
 * (and the rest are applied, in order).
 */
export async function applyIsolating<TEvent extends DomainEvent>(
  sink: ProjectionSink<TEvent>,
  events: readonly TEvent[],
  onRefused: (error: unknown) => void,
): Promise<SinkResult> {
  try {
    return await sink.applyBatch(events);
  } catch (error) {
    if (isRetriable(error)) throw error;
    onRefused(error);
    const outcomes: SinkOutcome[] = [];
    let conflicts = 0;
    let commands = 0;
    for (const event of events) {
      try {
        const single = await sink.applyBatch([event]);
        outcomes.push(
          single.outcomes[0] ?? { rejection: 'handler_error', detail: 'the store returned no outcome for this event' },
        );
        conflicts += single.conflicts;
        commands += single.commands;
      } catch (singleError) {
        if (isRetriable(singleError)) throw singleError;
        outcomes.push({ rejection: 'handler_error', detail: describeError(singleError) });
      }
    }
    return { outcomes, conflicts, commands };
  }
}
