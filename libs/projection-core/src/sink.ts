import type { EventOutcome } from './outcome';
import type { Rejection, SourcePosition, VersionedEvent } from './projection';

/** An event the fold refused, by its index in the batch. */
export interface IndexedRejection {
  readonly index: number;
  readonly rejection: Rejection;
}

/** Options of one {@link ProjectionSink.applyBatch} call. */
export interface ApplyOptions {
  /**
   * Where each event was read from (same order as the events). Stored in the
   * documents, so that a redelivered record is recognised as processed already.
   */
  readonly positions?: readonly (SourcePosition | undefined)[];
  /**
   * Awaited before every write with the events refused so far (by the fold of that
   * round). The runtime dead-letters them there, so that no document moves past a
   * rejected record before its dead letter is durable.
   */
  readonly beforeWrite?: (rejected: readonly IndexedRejection[]) => Promise<void>;
}

/** What a sink reports of one batch. */
export interface ApplyResult {
  /** One outcome per input event, in input order. */
  readonly outcomes: readonly EventOutcome[];
  /** Guarded writes that lost a race and were re-read and re-folded. */
  readonly conflicts: number;
  /** Store commands issued. */
  readonly commands: number;
}

/**
 * Where a read model is written: the MongoDB store implements it, the runtime drives
 * it, tests keep one in memory. It folds with the projection's rules, stores positions
 * and calls `beforeWrite` before it writes; it throws `ProjectionError`s whose
 * `retriable` flag tells the runtime to retry, and non-retriable ones only for a
 * refusal proven to be caused by one document.
 */
export interface ProjectionSink<TEvent extends VersionedEvent> {
  applyBatch(events: readonly TEvent[], options?: ApplyOptions): Promise<ApplyResult>;
  /** Throws unless the store answers. */
  ping(): Promise<void>;
  /**
   * Forgets whatever the sink holds about the collection's documents (a cache). The
   * runtime calls it when it resumes after a pause, during which an operator may have
   * swapped another collection in: a held document could then be ahead of it.
   */
  reset?(): void;
}
