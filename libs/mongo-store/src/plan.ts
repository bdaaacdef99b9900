// Planning of one round of the apply loop, as pure functions: from the events of a
// batch and the documents read, what the fold gives and what to write. Nothing here
// does IO, so all of it is unit-tested without a database.
import { BSON, ObjectId } from 'mongodb';
import type { AnyBulkWriteOperation, Document } from 'mongodb';
import { foldEvents, groupByKey, isRejection } from '@sc/projection-core';
import type {
  EventOutcome,
  FoldResult,
  IndexedRejection,
  ProjectionDefinition,
  SourcePosition,
  VersionStamp,
  VersionedEvent,
} from '@sc/projection-core';

/** A document key, one string per key field. */
export type DocumentKey = Readonly<Record<string, string>>;

/** The events of a batch that belong to one document, fixed for the whole batch. */
export interface EventGroup<TEvent> {
  /** The document key as one string ({@link keyString}): the group's identity in maps. */
  readonly id: string;
  readonly key: DocumentKey;
  /** The group's events, in batch order. */
  readonly events: readonly TEvent[];
  /** The index in the batch of each of the group's events. */
  readonly indexes: readonly number[];
  /** Where each of the group's events was read from, when the caller said so. */
  readonly sources: readonly (SourcePosition | undefined)[] | undefined;
}

/**
 * One document to write. An insert when the document did not exist at the read; an
 * update of the fields the fold changed, guarded by the version read, otherwise, so
 * that a concurrent writer's change makes it match nothing instead of being overwritten.
 */
export type PlannedWrite<TEvent, TDoc> =
  | { readonly kind: 'insert'; readonly group: EventGroup<TEvent>; readonly document: TDoc }
  | {
      readonly kind: 'update';
      readonly group: EventGroup<TEvent>;
      readonly document: TDoc;
      /** The document as read: the update sets only the fields that differ from it. */
      readonly previous: TDoc;
      /** `entity_version` of the document read: the update applies only if it is still there. */
      readonly readVersion: number;
    };

/** What one round decides: the fold of each group read in it, and the documents to write. */
export interface RoundPlan<TEvent, TDoc> {
  /** The fold of each group of the round, by {@link EventGroup.id}. */
  readonly folds: ReadonlyMap<string, FoldResult<TDoc>>;
  /** The groups whose fold changed their document, in group order. */
  readonly writes: readonly PlannedWrite<TEvent, TDoc>[];
}

/** Outcomes of a batch, in input order, and their counts. */
export interface BatchOutcomes {
  readonly outcomes: EventOutcome[];
  readonly applied: number;
  readonly stale: number;
  readonly rejected: number;
}

/**
 * MongoDB's largest BSON document (16 MiB): the `maxBsonObjectSize` servers announce,
 * and the driver's default. The driver refuses an operation whose statement reaches it
 * before sending anything, with an error that carries no server code.
 */
export const MAX_BSON_OBJECT_SIZE = 16 * 1024 * 1024;

/** Separates the key fields in {@link keyString}: a character no key value holds. */
const KEY_SEPARATOR = '\u0000';

/**
 * A stand-in for the `_id` the driver adds to an inserted document that has none:
 * every ObjectId has the same BSON size, so measuring with it gives the driver's figure.
 */
const SIZE_PROBE_ID = new ObjectId('000000000000000000000000');

/** The options the driver sizes statements with (bulk/unordered.ts `addToOperationsList`). */
const DRIVER_SIZE_OPTIONS = { checkKeys: false, ignoreUndefined: false } as const;

/** The key of a document or of an event's key object, as one string (fields in declaration order). */
export function keyString(keyFields: readonly string[], source: object): string {
  const fields = source as Readonly<Record<string, unknown>>;
  return keyFields.map((field) => String(fields[field] ?? '')).join(KEY_SEPARATOR);
}

/** The equality filter on the key fields of `key`. */
export function keyFilter(keyFields: readonly string[], key: DocumentKey): Record<string, string> {
  return Object.fromEntries(keyFields.map((field) => [field, key[field] ?? '']));
}

/** Groups a batch by document, keeping each group's events and positions in batch order. */
export function groupEvents<TEvent extends VersionedEvent, TDoc extends VersionStamp>(
  projection: Pick<ProjectionDefinition<TEvent, TDoc>, 'keyFields' | 'keyOf'>,
  events: readonly TEvent[],
  positions?: readonly (SourcePosition | undefined)[],
): EventGroup<TEvent>[] {
  const grouped = groupByKey(events, (event) => keyString(projection.keyFields, projection.keyOf(event)));
  return [...grouped].map(([id, group]) => ({
    id,
    key: projection.keyOf(group.events[0]!),
    events: group.events,
    indexes: group.positions,
    sources: positions && group.positions.map((i) => positions[i]),
  }));
}

/**
 * Folds each group onto its document as read (`current`, by {@link keyString}) and
 * plans a write for each group whose document changed: an insert when none was read,
 * an update guarded by the version read otherwise. A fold that applies nothing (all
 * stale or rejected) writes nothing.
 */
export function planRound<TEvent extends VersionedEvent, TDoc extends VersionStamp>(
  projection: Pick<ProjectionDefinition<TEvent, TDoc>, 'evolve'>,
  groups: readonly EventGroup<TEvent>[],
  current: ReadonlyMap<string, TDoc>,
): RoundPlan<TEvent, TDoc> {
  const folds = new Map<string, FoldResult<TDoc>>();
  const writes: PlannedWrite<TEvent, TDoc>[] = [];
  for (const group of groups) {
    const existing = current.get(group.id) ?? null;
    const fold = foldEvents(projection, existing, group.events, group.sources);
    folds.set(group.id, fold);
    if (!fold.changed || fold.document === null) continue;
    writes.push(
      existing === null
        ? { kind: 'insert', group, document: fold.document }
        : { kind: 'update', group, document: fold.document, previous: existing, readVersion: existing.entity_version },
    );
  }
  return { folds, writes };
}

/**
 * The writes of a round split into commands: the inserts together in one, the updates
 * in slices of `maxUpdatesPerCommand` (FerretDB v1 holds a pooled connection per
 * statement until the command ends, see `VersionedStoreOptions.maxUpdatesPerCommand`).
 */
export function planCommands<TWrite extends PlannedWrite<unknown, unknown>>(
  writes: readonly TWrite[],
  maxUpdatesPerCommand = Number.POSITIVE_INFINITY,
): TWrite[][] {
  const inserts = writes.filter((write) => write.kind === 'insert');
  const updates = writes.filter((write) => write.kind === 'update');
  const commands = inserts.length > 0 ? [inserts] : [];
  const slice = Number.isFinite(maxUpdatesPerCommand) ? maxUpdatesPerCommand : updates.length;
  for (let i = 0; i < updates.length; i += slice) commands.push(updates.slice(i, i + slice));
  return commands;
}

/**
 * Two field values as BSON stores them, compared by value: what a document read back
 * holds (plain objects, arrays, Dates, numbers) against what a fold produced.
 */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // The driver writes an undefined field as null (ignoreUndefined is off).
  if (a == null && b == null) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Date || b instanceof Date)
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => sameValue(item, b[i]));
  }
  const left = a as Readonly<Record<string, unknown>>;
  const right = b as Readonly<Record<string, unknown>>;
  const fields = Object.keys(left);
  if (fields.length !== Object.keys(right).length) return false;
  return fields.every((field) => Object.hasOwn(right, field) && sameValue(left[field], right[field]));
}

/**
 * The update that turns `previous` into `next`: `$set` of the top-level fields whose
 * value changed or that are new, `$unset` of those `next` no longer has. An undefined
 * field is null, as the driver writes it in a whole document. Top-level is
 * enough: a fold rewrites a nested value as a whole, and a `$set` of it stays small.
 */
export function fieldChanges(previous: object, next: object): Document {
  const before = previous as Readonly<Record<string, unknown>>;
  const after = next as Readonly<Record<string, unknown>>;
  const set: Document = {};
  for (const [field, value] of Object.entries(after))
    if (!Object.hasOwn(before, field) || !sameValue(before[field], value)) set[field] = value ?? null;
  const unset: Document = {};
  for (const field of Object.keys(before)) if (field !== '_id' && !Object.hasOwn(after, field)) unset[field] = '';
  return Object.keys(unset).length === 0 ? { $set: set } : { $set: set, $unset: unset };
}

/** The bulk-write operation of one planned write, built afresh for each command. */
export function operationOf(
  write: PlannedWrite<unknown, VersionStamp>,
  keyFields: readonly string[],
): AnyBulkWriteOperation<Document> {
  // A shallow copy: the driver adds `_id` to inserted documents, and the plan stays as it was.
  if (write.kind === 'insert') return { insertOne: { document: { ...write.document } as Document } };
  return {
    updateOne: {
      filter: { ...keyFilter(keyFields, write.group.key), entity_version: write.readVersion },
      update: fieldChanges(write.previous, write.document),
    },
  };
}

/**
 * The BSON size the driver measures of a write before it sends it (bulk/common.ts
 * `raw`): the inserted document with the `_id` it adds, or the update statement
 * `{ q: filter, u: update }`.
 */
export function statementBytes(write: PlannedWrite<unknown, VersionStamp>, keyFields: readonly string[]): number {
  const operation = operationOf(write, keyFields);
  let statement: Document;
  if ('insertOne' in operation) {
    const document = operation.insertOne.document;
    statement = document['_id'] == null ? { ...document, _id: SIZE_PROBE_ID } : document;
  } else if ('updateOne' in operation) {
    statement = { q: operation.updateOne.filter, u: operation.updateOne.update };
  } else {
    throw new TypeError('statementBytes: operationOf builds inserts and updates only');
  }
  return BSON.calculateObjectSize(statement, DRIVER_SIZE_OPTIONS);
}

/**
 * The BSON size of the document a write leaves in the collection, with the `_id` the
 * server keeps: what must stay under the 16 MiB document limit, however small the
 * update that produces it.
 */
export function documentBytes(write: PlannedWrite<unknown, VersionStamp>): number {
  return BSON.calculateObjectSize({ ...write.document, _id: SIZE_PROBE_ID }, DRIVER_SIZE_OPTIONS);
}

/** The `_id` element the server keeps in every document: type, `_id` and its NUL, a 12-byte ObjectId. */
const ID_ELEMENT_BYTES = 1 + 4 + 12;

/** The most bytes of UTF-8 one UTF-16 code unit takes (a surrogate pair, two units, is 4 bytes). */
const MAX_UTF8_BYTES_PER_CODE_UNIT = 3;

/**
 * The exact BSON size of `value` as an element's value: the size of `{ v: value }` less
 * its wrapping (the length prefix, the element's type byte, the key `v` and its NUL, the
 * terminating NUL).
 */
function exactValueBytes(value: unknown): number {
  return BSON.calculateObjectSize({ v: value }, DRIVER_SIZE_OPTIONS) - (4 + 1 + 2 + 1);
}

/** Digits of a non-negative integer: the length of an array index as a BSON key. */
function digits(index: number): number {
  let count = 1;
  for (let rest = index; rest >= 10; rest = Math.floor(rest / 10)) count++;
  return count;
}

/** An upper bound of the BSON size of `value` as an element's value; see {@link documentBytesBound}. */
function valueBytesBound(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return 4 + MAX_UTF8_BYTES_PER_CODE_UNIT * value.length + 1;
    case 'number':
    case 'bigint':
      return 8;
    case 'boolean':
      return 1;
    case 'undefined':
      return 0;
    case 'function':
      // A `toBSON` function replaces its object as the driver serializes it: measure exactly.
      return Number.POSITIVE_INFINITY;
    case 'object': {
      if (value === null) return 0;
      if (value instanceof Date) return 8;
      if (Array.isArray(value)) {
        let bytes = 4 + 1;
        for (let i = 0; i < value.length; i++) bytes += 1 + digits(i) + 1 + valueBytesBound(value[i]);
        return bytes;
      }
      if (Object.getPrototypeOf(value) === Object.prototype && !('_bsontype' in value))
        return objectBytesBound(value as Readonly<Record<string, unknown>>);
      return exactValueBytes(value);
    }
    default:
      return exactValueBytes(value);
  }
}

/** An upper bound of the BSON size of a plain object; see {@link documentBytesBound}. */
function objectBytesBound(object: Readonly<Record<string, unknown>>): number {
  let bytes = 4 + 1;
  // for…in, not Object.keys: no array to allocate, and on a plain object it lists at least
  // the keys the driver writes (an enumerable key inherited from a polluted prototype only raises the bound).
  for (const key in object) bytes += 1 + MAX_UTF8_BYTES_PER_CODE_UNIT * key.length + 1 + valueBytesBound(object[key]);
  return bytes;
}

/**
 * An upper bound of {@link documentBytes}, several times cheaper (an order summary:
 * ~0.9 against ~4.9 µs): it reads no string, counting 3 bytes of UTF-8 for each UTF-16
 * code unit, and 8 bytes for every number; values other than the plain objects, arrays,
 * strings, numbers, booleans, nulls and Dates of a fold are measured exactly. A document
 * whose bound is below a limit cannot reach it.
 */
export function documentBytesBound(write: PlannedWrite<unknown, VersionStamp>): number {
  return valueBytesBound(write.document) + ID_ELEMENT_BYTES;
}

/**
 * The first write whose size by `measure` ({@link documentBytes} or
 * {@link statementBytes}) reaches `limit` bytes, with its size; undefined when all
 * fit. Such a write fails the same way however often it is retried. With `bound` (an
 * upper bound of `measure`, such as {@link documentBytesBound}), only the writes whose
 * bound reaches the limit are measured.
 */
export function findOversizedWrite<TWrite extends PlannedWrite<unknown, VersionStamp>>(
  writes: readonly TWrite[],
  measure: (write: TWrite) => number,
  limit = MAX_BSON_OBJECT_SIZE,
  bound?: (write: TWrite) => number,
): { readonly write: TWrite; readonly bytes: number } | undefined {
  for (const write of writes) {
    if (bound !== undefined && bound(write) < limit) continue;
    const bytes = measure(write);
    if (bytes >= limit) return { write, bytes };
  }
  return undefined;
}

/**
 * True when the document read after a lost race is the one `write` planned: same
 * version and same last event. Some writes of an unordered command go through while
 * others lose; those must be counted as written, not folded again.
 */
export function hasLanded(write: PlannedWrite<unknown, VersionStamp>, document: VersionStamp | undefined): boolean {
  return (
    document !== undefined &&
    document.entity_version === write.document.entity_version &&
    document.last_event_id === write.document.last_event_id
  );
}

/** The rejections of each group's latest fold, by index in the batch (what `beforeWrite` is given). */
export function rejectionsOf(
  groups: readonly EventGroup<unknown>[],
  folds: ReadonlyMap<string, FoldResult<unknown>>,
): IndexedRejection[] {
  const rejected: IndexedRejection[] = [];
  for (const group of groups)
    folds.get(group.id)?.outcomes.forEach((outcome, i) => {
      if (isRejection(outcome)) rejected.push({ index: group.indexes[i]!, rejection: outcome });
    });
  return rejected;
}

/** Each event's outcome in its group's latest fold, placed back in batch order, and the counts. */
export function batchOutcomes(
  size: number,
  groups: readonly EventGroup<unknown>[],
  folds: ReadonlyMap<string, FoldResult<unknown>>,
): BatchOutcomes {
  const outcomes: EventOutcome[] = new Array(size);
  let applied = 0;
  let stale = 0;
  let rejected = 0;
  for (const group of groups)
    folds.get(group.id)?.outcomes.forEach((outcome, i) => {
      outcomes[group.indexes[i]!] = outcome;
      if (outcome === 'applied') applied++;
      else if (outcome === 'stale') stale++;
      else rejected++;
    });
  return { outcomes, applied, stale, rejected };
}
