import type { DeadLetterReason } from '@sc/event-schemas';

/** Where a record sits in Kafka: the topic (without any name prefix), partition and offset. */
export interface SourcePosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/** The fields the store maintains on every read-model document. */
export interface VersionStamp {
  /** `entity_version` of the last event applied. */
  readonly entity_version: number;
  /** `event_id` of the last event applied. */
  readonly last_event_id: string;
  /** `occurred_at` of the last event applied. */
  readonly updated_at: Date;
  /**
   * Where the last event applied was read from, when it came from Kafka. A record of the
   * same topic and partition at or below it was processed already (see {@link alreadyFolded}).
   */
  readonly last_event_position?: SourcePosition;
}

/** The document field that holds {@link VersionStamp.last_event_position}. */
export const POSITION_FIELD = 'last_event_position';

/**
 * True when the record at `position` was folded into `document` already: same topic
 * and partition, at or below the document's position. A redelivered record is then
 * recognised as processed instead of being judged again against the state its own
 * first delivery wrote. Across partitions (after a change of partition count) the
 * positions say nothing, and the version rule alone decides.
 */
export function alreadyFolded(document: VersionStamp | null, position: SourcePosition | undefined): boolean {
  const stored = document?.last_event_position;
  return (
    stored !== undefined &&
    position !== undefined &&
    stored.topic === position.topic &&
    stored.partition === position.partition &&
    position.offset <= stored.offset
  );
}

/** What the store needs to know of an event: its identity and version. */
export interface VersionedEvent {
  readonly event_id: string;
  readonly event_type: string;
  readonly entity_version: number;
  readonly occurred_at: Date;
}

/** Why a projection refused an event: the contract's dead-letter reasons that only a projection gives. */
export type RejectionReason = Extract<DeadLetterReason, 'missing_entity' | 'unknown_item' | 'handler_error'>;

/** An event the projection will not apply, and why. */
export interface Rejection {
  readonly rejection: RejectionReason;
  readonly detail: string;
}

/** A read-model document as `evolve` returns it: everything but the version stamp, which the store sets. */
export type DocumentBody<TDoc extends VersionStamp> = Omit<TDoc, keyof VersionStamp>;

/** One index of a read model, as the design declares it. */
export interface IndexDeclaration {
  readonly name: string;
  /** Field → 1 (ascending) or -1 (descending), in order. */
  readonly keys: Readonly<Record<string, 1 | -1>>;
  readonly unique?: boolean;
}

/**
 * A read model: where it lives, how its documents are keyed, and a pure `evolve`.
 * Nothing here does IO; the store and the runtime do. `keyOf` and `evolve` are
 * methods so that a definition of one topic's events can stand where any
 * definition is expected (tools, tests); one of another topic's events still does
 * not fit a descriptor of this topic (see `defineWorker`).
 */
export interface ProjectionDefinition<TEvent extends VersionedEvent, TDoc extends VersionStamp> {
  readonly name: string;
  readonly collection: string;
  /** Fields that identify a document (a unique index must cover them: it is what refuses a second insert); the first is queried with `$in`. */
  readonly keyFields: readonly [string, ...string[]];
  /** The document key an event belongs to, one string per key field. */
  keyOf(event: TEvent): Readonly<Record<string, string>>;
  readonly indexes: readonly IndexDeclaration[];
  /**
   * The document after `event`, or a rejection. Called only for events newer than
   * `doc`; `doc` is null when the entity has no document yet.
   */
  evolve(doc: TDoc | null, event: TEvent): DocumentBody<TDoc> | Rejection;
}

/** True when `evolve` returned a rejection rather than a document. */
export function isRejection(value: unknown): value is Rejection {
  return typeof value === 'object' && value !== null && 'rejection' in value;
}

/** The rejection for an event that needs a document that does not exist. */
export function missingEntity(event: VersionedEvent): Rejection {
  return {
    rejection: 'missing_entity',
    detail: `${event.event_type} v${event.entity_version} needs an existing document, and there is none (no *.created applied yet)`,
  };
}

/**
 * The fields of `payload` among `fields` that the event gives: absent (undefined)
 * ones are left out, `null` ones are kept (the contract's "null clears the value").
 */
export function givenFields<TPayload extends object, K extends keyof TPayload>(
  payload: TPayload,
  fields: readonly K[],
): { [P in K]?: Exclude<TPayload[P], undefined> } {
  const out: { [P in K]?: Exclude<TPayload[P], undefined> } = {};
  for (const field of fields) {
    const value = payload[field];
    if (value !== undefined) out[field] = value as Exclude<TPayload[K], undefined>;
  }
  return out;
}
