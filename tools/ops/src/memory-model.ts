// A read model folded in memory with the worker's own rules: the contract's decoder,
// then `foldEvents` (version rule, positions) one record at a time in partition order,
// which is what the store does per chunk. Pure: no IO.
import { decodeRecord } from '@sc/event-schemas';
import type { DomainEvent } from '@sc/event-schemas';
import { foldEvents, isRejection } from '@sc/projection-core';
import type { ProjectionDefinition, SourcePosition, VersionStamp } from '@sc/projection-core';

/** A record of a domain topic, as read from Kafka. */
export interface SourceRecord {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
}

/** What the fold made of the records, counted as the worker's metrics count them. */
export interface FoldCounts {
  applied: number;
  stale: number;
  ignored: number;
  dead_lettered: number;
}

/** A projection folded in memory. */
export interface MemoryModel<TDoc extends VersionStamp> {
  /** Documents by {@link documentKey}. */
  readonly documents: ReadonlyMap<string, TDoc>;
  /** The newest record (applied or not) of each document key: where the live group must have got to. */
  readonly newest: ReadonlyMap<string, SourcePosition>;
  readonly counts: Readonly<FoldCounts>;
  /** Folds one partition's records, in offset order; `topic` is the contract's topic. */
  apply(topic: string, partition: number, records: readonly SourceRecord[]): void;
}

/** A document's key as the CLI prints it: its key fields' values joined with `|`. */
export function documentKey(keyFields: readonly string[], values: Readonly<Record<string, unknown>>): string {
  return keyFields.map((field) => String(values[field])).join('|');
}

/** Creates an empty {@link MemoryModel} of `projection`. */
export function createMemoryModel<TEvent extends DomainEvent, TDoc extends VersionStamp>(
  projection: ProjectionDefinition<TEvent, TDoc>,
): MemoryModel<TDoc> {
  const documents = new Map<string, TDoc>();
  const newest = new Map<string, SourcePosition>();
  const counts: FoldCounts = { applied: 0, stale: 0, ignored: 0, dead_lettered: 0 };
  return {
    documents,
    newest,
    counts,
    apply(topic, partition, records) {
      for (const record of records) {
        const decoded = decodeRecord({ topic, key: record.key, value: record.value });
        if (decoded.kind === 'ignored') counts.ignored++;
        if (decoded.kind !== 'event') {
          if (decoded.kind === 'rejected') counts.dead_lettered++;
          continue;
        }
        const event = decoded.event as TEvent;
        const key = documentKey(projection.keyFields, projection.keyOf(event));
        const position: SourcePosition = { topic, partition, offset: Number(record.offset) };
        newest.set(key, position);
        const folded = foldEvents(projection, documents.get(key) ?? null, [event], [position]);
        const outcome = folded.outcomes[0]!;
        if (isRejection(outcome)) counts.dead_lettered++;
        else counts[outcome]++;
        if (folded.changed && folded.document !== null) documents.set(key, folded.document);
      }
    },
  };
}
