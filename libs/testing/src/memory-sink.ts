import type { DomainEvent } from '@sc/event-schemas';
import { foldEvents, groupByKey, isRejection } from '@sc/projection-core';
import type {
  ApplyOptions,
  EventOutcome,
  IndexedRejection,
  ProjectionDefinition,
  ProjectionSink,
  VersionStamp,
} from '@sc/projection-core';

/** A read model in memory with the store's rules: the same fold, positions and "dead-letter before write". */
export interface MemorySink<TEvent extends DomainEvent, TDoc extends VersionStamp> extends ProjectionSink<TEvent> {
  /** The documents, by their key fields joined with `/`; survives "crashes" (it plays the database). */
  readonly documents: Map<string, TDoc>;
  /** Called right after each write lands (before applyBatch returns): throw here to crash after the write. */
  afterWrite: (() => void) | undefined;
}

/**
 * Creates an in-memory {@link ProjectionSink} for unit tests of the runtime: it folds
 * with the projection's own `evolve`, stores positions, calls `beforeWrite` with the
 * rejections before it writes, and writes every changed document at once.
 */
export function createMemorySink<TEvent extends DomainEvent, TDoc extends VersionStamp>(
  projection: ProjectionDefinition<TEvent, TDoc>,
): MemorySink<TEvent, TDoc> {
  const documents = new Map<string, TDoc>();
  const keyOf = (event: TEvent): string => {
    const key = projection.keyOf(event);
    return projection.keyFields.map((field) => key[field]).join('/');
  };
  const sink: MemorySink<TEvent, TDoc> = {
    documents,
    afterWrite: undefined,
    async applyBatch(events: readonly TEvent[], options: ApplyOptions = {}) {
      const outcomes: EventOutcome[] = new Array<EventOutcome>(events.length);
      const writes: [string, TDoc][] = [];
      const rejected: IndexedRejection[] = [];
      for (const [key, group] of groupByKey(events, keyOf)) {
        const folded = foldEvents(
          projection,
          documents.get(key) ?? null,
          group.events,
          options.positions && group.positions.map((i) => options.positions?.[i]),
        );
        folded.outcomes.forEach((outcome, i) => {
          const index = group.positions[i]!;
          outcomes[index] = outcome;
          if (isRejection(outcome)) rejected.push({ index, rejection: outcome });
        });
        if (folded.changed && folded.document !== null) writes.push([key, folded.document]);
      }
      if (writes.length > 0) {
        await options.beforeWrite?.(rejected);
        for (const [key, document] of writes) documents.set(key, document);
        sink.afterWrite?.();
      }
      return { outcomes, conflicts: 0, commands: writes.length > 0 ? 2 : 1 };
    },
    ping: async () => undefined,
  };
  return sink;
}
