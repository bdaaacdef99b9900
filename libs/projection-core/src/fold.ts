import { alreadyFolded, isRejection } from './projection';
import type { EventOutcome } from './outcome';
import type { ProjectionDefinition, SourcePosition, VersionStamp, VersionedEvent } from './projection';

/** The result of folding one entity's events onto its document. */
export interface FoldResult<TDoc> {
  /** The document after the fold (unchanged if nothing applied). */
  readonly document: TDoc | null;
  /** True when at least one event was applied, so the document must be written. */
  readonly changed: boolean;
  /** One outcome per event, in order. */
  readonly outcomes: EventOutcome[];
}

/**
 * Applies events, in order, to one document with the contract's version rule:
 * an event not newer than the document is stale; the rest go through `evolve`.
 * With `positions` (one per event), a record the document has folded already (same
 * partition, offset at or below the document's position) is stale too, whatever
 * the version rule would say: its first delivery decided its fate, and a rejection
 * was dead-lettered before the write that moved the position past it.
 * Pure: no IO, the input document is not mutated.
 */
export function foldEvents<TEvent extends VersionedEvent, TDoc extends VersionStamp>(
  projection: Pick<ProjectionDefinition<TEvent, TDoc>, 'evolve'>,
  document: TDoc | null,
  events: readonly TEvent[],
  positions?: readonly (SourcePosition | undefined)[],
): FoldResult<TDoc> {
  let current = document;
  let changed = false;
  const outcomes: EventOutcome[] = [];
  for (const [i, event] of events.entries()) {
    const position = positions?.[i];
    if (alreadyFolded(document, position) || (current !== null && event.entity_version <= current.entity_version)) {
      outcomes.push('stale');
      continue;
    }
    let next;
    try {
      next = projection.evolve(current, event);
    } catch (error) {
      // A bug in one projection rule must cost one event, not the partition.
      next = {
        rejection: 'handler_error',
        detail: `evolve threw: ${error instanceof Error ? error.message : String(error)}`,
      } as const;
    }
    if (isRejection(next)) {
      outcomes.push(next);
      continue;
    }
    current = {
      ...next,
      entity_version: event.entity_version,
      last_event_id: event.event_id,
      updated_at: event.occurred_at,
      ...(position === undefined ? {} : { last_event_position: position }),
    } as unknown as TDoc;
    changed = true;
    outcomes.push('applied');
  }
  return { document: current, changed, outcomes };
}

/** Groups events by document key, keeping each group in the order given. */
export function groupByKey<TEvent>(
  events: readonly TEvent[],
  keyOf: (event: TEvent) => string,
): Map<string, { events: TEvent[]; positions: number[] }> {
  const groups = new Map<string, { events: TEvent[]; positions: number[] }>();
  events.forEach((event, position) => {
    const key = keyOf(event);
    let group = groups.get(key);
    if (!group) {
      group = { events: [], positions: [] };
      groups.set(key, group);
    }
    group.events.push(event);
    group.positions.push(position);
  });
  return groups;
}
