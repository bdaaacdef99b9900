// Comparing a read model folded from its events with the live collection, allowing
// for what the live group has not consumed yet. No IO of its own: the streamed
// comparison reads through the sides it is given.
import { POSITION_FIELD } from '@sc/projection-core';
import type { SourcePosition } from '@sc/projection-core';
import { partitionKey } from './topic-reader';

/** One field that differs: its path (`items.2.status`), the folded value and the live one. */
export interface FieldDifference {
  readonly path: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

/** One document that is not what its events give. */
export type DocumentDifference =
  | { readonly kind: 'missing'; readonly key: string; readonly expected: Readonly<Record<string, unknown>> }
  | { readonly kind: 'extra'; readonly key: string; readonly actual: Readonly<Record<string, unknown>> }
  | { readonly kind: 'different'; readonly key: string; readonly fields: readonly FieldDifference[] };

/** What a comparison found. */
export interface ComparisonReport {
  /** Documents compared: equal, different, missing and extra. */
  readonly checked: number;
  readonly equal: number;
  readonly missing: number;
  readonly extra: number;
  readonly different: number;
  /** Documents left out: their newest record is not consumed by the live group yet, or newer than the fold. */
  readonly notYetConsumed: number;
  /** The first differences, in key order, at most `show`. */
  readonly differences: readonly DocumentDifference[];
}

/** What {@link compareReadModel} compares: both sides in memory. */
export interface ComparisonInput extends ComparisonBounds {
  /** The documents the events give, by key. */
  readonly expected: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** The newest record of every key the events name (applied or not). */
  readonly newest: ReadonlyMap<string, SourcePosition>;
  /** The live documents (without `_id`), by the same keys. */
  readonly live: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** Every path where `expected` and `actual` differ (dates by instant, arrays by position, objects by field). */
export function diffValues(expected: unknown, actual: unknown, path = ''): FieldDifference[] {
  const at = (part: string | number): string => (path === '' ? String(part) : `${path}.${part}`);
  if (expected instanceof Date || actual instanceof Date) {
    return expected instanceof Date && actual instanceof Date && expected.getTime() === actual.getTime()
      ? []
      : [{ path, expected, actual }];
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const out: FieldDifference[] = [];
    for (let i = 0; i < Math.max(expected.length, actual.length); i++)
      out.push(
        ...(i < expected.length && i < actual.length
          ? diffValues(expected[i], actual[i], at(i))
          : [{ path: at(i), expected: expected[i], actual: actual[i] }]),
      );
    return out;
  }
  if (isPlainObject(expected) && isPlainObject(actual)) {
    const fields = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].filter((f) => f !== '_id');
    return fields.flatMap((field) => diffValues(expected[field], actual[field], at(field)));
  }
  return Object.is(expected, actual) ? [] : [{ path, expected, actual }];
}

function positionOf(doc: Readonly<Record<string, unknown>>): SourcePosition | undefined {
  const position = doc[POSITION_FIELD];
  return isPlainObject(position) && typeof position['topic'] === 'string' && typeof position['offset'] === 'number'
    ? (position as unknown as SourcePosition)
    : undefined;
}

/** What a {@link Comparison} needs to judge one document. */
export interface ComparisonBounds {
  /** The live group's committed offsets (next offset to read), by `topic/partition` of the contract's topics. */
  readonly committed: ReadonlyMap<string, number>;
  /** The end of the fold (offsets below it were folded), by `topic/partition`. */
  readonly foldedUpTo: ReadonlyMap<string, number>;
  /** How many differences to keep. */
  readonly show: number;
}

/**
 * The judging and counting both `verify` modes share: fed one key at a time, in any
 * order, at most once per key; it keeps the counts and only the `show` smallest keys'
 * differences, so it holds nothing of the model itself.
 */
export interface Comparison {
  /**
   * Judges one key: left out when `pending` (its newest record is not consumed by the
   * live group) or when the live document was written from a record past the fold;
   * else equal, missing, extra or different. Nothing either side: not counted.
   */
  judge(
    key: string,
    expected: Readonly<Record<string, unknown>> | undefined,
    actual: Readonly<Record<string, unknown>> | undefined,
    pending: boolean,
  ): void;
  report(): ComparisonReport;
}

/** Creates an empty {@link Comparison}. */
export function createComparison(bounds: ComparisonBounds): Comparison {
  const beyondFold = (p: SourcePosition | undefined): boolean =>
    p !== undefined && p.offset >= (bounds.foldedUpTo.get(partitionKey(p.topic, p.partition)) ?? 0);
  const counts = { equal: 0, missing: 0, extra: 0, different: 0, notYetConsumed: 0 };
  // Sorted by key, at most `show`: the first differences in key order, whatever order the keys come in.
  const kept: DocumentDifference[] = [];
  const keep = (difference: DocumentDifference): void => {
    counts[difference.kind]++;
    if (bounds.show <= 0) return;
    const last = kept[kept.length - 1];
    if (kept.length >= bounds.show && last !== undefined && last.key <= difference.key) return;
    const at = kept.findIndex((d) => d.key > difference.key);
    kept.splice(at < 0 ? kept.length : at, 0, difference);
    if (kept.length > bounds.show) kept.pop();
  };
  return {
    judge(key, expected, actual, pending) {
      if (pending || (actual !== undefined && beyondFold(positionOf(actual)))) {
        counts.notYetConsumed++;
        return;
      }
      if (expected === undefined && actual === undefined) return; // only refused events: no document either side
      if (actual === undefined) keep({ kind: 'missing', key, expected: expected! });
      else if (expected === undefined) keep({ kind: 'extra', key, actual });
      else {
        const fields = diffValues(expected, actual);
        if (fields.length === 0) counts.equal++;
        else keep({ kind: 'different', key, fields });
      }
    },
    report() {
      const { equal, missing, extra, different, notYetConsumed } = counts;
      return {
        checked: equal + missing + extra + different,
        equal,
        missing,
        extra,
        different,
        notYetConsumed,
        differences: [...kept],
      };
    },
  };
}

/** True when the live group has consumed the record at `p` (it is below the committed offset). */
export function isConsumed(committed: ReadonlyMap<string, number>, p: SourcePosition): boolean {
  return p.offset < (committed.get(partitionKey(p.topic, p.partition)) ?? 0);
}

/**
 * The keys whose newest record (the last one folded) the live group has not consumed,
 * kept while folding: the same set {@link pendingKeys} gives, without a map of every
 * key (it holds only the keys the live group is behind on).
 */
export function createPendingTracker(committed: ReadonlyMap<string, number>): {
  note(key: string, position: SourcePosition): void;
  readonly keys: ReadonlySet<string>;
} {
  const keys = new Set<string>();
  return {
    keys,
    note(key, position) {
      if (isConsumed(committed, position)) keys.delete(key);
      else keys.add(key);
    },
  };
}

/** The keys whose newest record the live group has not consumed yet. */
export function pendingKeys(
  newest: ReadonlyMap<string, SourcePosition>,
  committed: ReadonlyMap<string, number>,
): Set<string> {
  return new Set([...newest].filter(([, p]) => !isConsumed(committed, p)).map(([key]) => key));
}

/** A side held in memory, by key: `find` looks up the key `keyOf` gives. */
export function memorySide(
  documents: ReadonlyMap<string, Readonly<Record<string, unknown>>>,
  keyOf: (doc: Readonly<Record<string, unknown>>) => string,
): ModelSide {
  return {
    async *documents() {
      yield* documents.values();
    },
    find: (doc) => Promise.resolve(documents.get(keyOf(doc))),
  };
}

/**
 * Compares document by document, only where the live group has consumed every
 * record of the document (its newest record is below the group's committed offset);
 * a live document written from a record at or past the end of the fold is left out
 * too. Missing: the events give it, the collection lacks it; extra: the reverse.
 * Both sides in memory, keyed as given: {@link compareStreams} with {@link memorySide}s.
 */
export function compareReadModel(input: ComparisonInput): Promise<ComparisonReport> {
  // The maps are keyed already: a document's key is found by identity.
  const keys = new Map<Readonly<Record<string, unknown>>, string>();
  for (const map of [input.expected, input.live]) for (const [key, doc] of map) keys.set(doc, key);
  const keyOf = (doc: Readonly<Record<string, unknown>>) => keys.get(doc)!;
  return compareStreams({
    ...input,
    keyOf,
    expected: memorySide(input.expected, keyOf),
    live: memorySide(input.live, keyOf),
    pending: pendingKeys(input.newest, input.committed),
  });
}

/** One side of a streamed comparison: its documents one by one, and one looked up by key. */
export interface ModelSide {
  /** Every document (without `_id`), in any order. */
  documents(): AsyncIterable<Readonly<Record<string, unknown>>>;
  /** The document with the key of `doc` (a document of the other side), if any. */
  find(doc: Readonly<Record<string, unknown>>): Promise<Readonly<Record<string, unknown>> | undefined>;
}

/** What {@link compareStreams} compares. */
export interface StreamComparisonInput extends ComparisonBounds {
  /** The document key of a document (see memory-model `documentKey`). */
  readonly keyOf: (doc: Readonly<Record<string, unknown>>) => string;
  readonly expected: ModelSide;
  readonly live: ModelSide;
  /**
   * The keys whose newest record the live group has not consumed: a set the size of
   * the lag, not of the model.
   */
  readonly pending: ReadonlySet<string>;
  /** Lookups in flight at once (reads only). Default 1. */
  readonly concurrency?: number;
  /**
   * Keep the live keys seen in the first pass and answer the second pass's "does the
   * live side have it" from them instead of a lookup each: for when the expected side
   * is in memory anyway (a set of keys is much smaller than the documents).
   */
  readonly rememberLiveKeys?: boolean;
  /** Called with the count of documents read so far (both sides), for a progress bar. */
  readonly onProgress?: (documents: number) => void;
}

/** Runs `fn` on every item of `items` with at most `concurrency` calls in flight. */
async function forEachConcurrently<T>(
  items: AsyncIterable<T>,
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const running = new Set<Promise<void>>();
  try {
    for await (const item of items) {
      const task: Promise<void> = fn(item).finally(() => running.delete(task));
      running.add(task);
      if (running.size >= concurrency) await Promise.race(running);
    }
  } catch (error) {
    // Nothing left running (or rejecting unobserved) once the caller sees the failure.
    await Promise.allSettled(running);
    throw error;
  }
  await Promise.all(running);
}

/**
 * The comparison of {@link compareReadModel} with neither side held in memory: the
 * live documents are streamed and each looked up on the expected side, then the
 * expected documents are streamed and only those the live side lacks are judged
 * (missing). Each key is judged once; pending keys with no document either side are
 * counted at the end, as {@link compareReadModel} counts them.
 */
export async function compareStreams(input: StreamComparisonInput): Promise<ComparisonReport> {
  const comparison = createComparison(input);
  const concurrency = input.concurrency ?? 1;
  const pendingSeen = new Set<string>();
  const judge = (
    key: string,
    expected: Readonly<Record<string, unknown>> | undefined,
    actual: Readonly<Record<string, unknown>> | undefined,
  ): void => {
    const pending = input.pending.has(key);
    if (pending) {
      if (pendingSeen.has(key)) return;
      pendingSeen.add(key);
    }
    comparison.judge(key, expected, actual, pending);
  };
  const liveKeys = input.rememberLiveKeys ? new Set<string>() : undefined;
  let read = 0;
  const progressed = () => input.onProgress?.(++read);
  await forEachConcurrently(input.live.documents(), concurrency, async (actual) => {
    const key = input.keyOf(actual);
    liveKeys?.add(key);
    judge(key, await input.expected.find(actual), actual);
    progressed();
  });
  const liveHas = async (key: string, doc: Readonly<Record<string, unknown>>): Promise<boolean> =>
    liveKeys ? liveKeys.has(key) : (await input.live.find(doc)) !== undefined;
  await forEachConcurrently(input.expected.documents(), concurrency, async (expected) => {
    const key = input.keyOf(expected);
    // Judged in the first pass when the live side has it; a pending key is judged once either way.
    if (input.pending.has(key) || !(await liveHas(key, expected))) judge(key, expected, undefined);
    progressed();
  });
  for (const key of input.pending) if (!pendingSeen.has(key)) comparison.judge(key, undefined, undefined, true);
  return comparison.report();
}

function show(value: unknown): string {
  if (value === undefined) return '(absent)';
  if (value instanceof Date) return value.toISOString();
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

/** The differences as lines: one per document, then one per field. */
export function formatDifferences(differences: readonly DocumentDifference[]): string[] {
  const lines: string[] = [];
  for (const d of differences) {
    if (d.kind === 'missing') lines.push(`  missing    ${d.key}: the events give ${show(d.expected)}`);
    else if (d.kind === 'extra') lines.push(`  extra      ${d.key}: no event gives ${show(d.actual)}`);
    else {
      lines.push(`  different  ${d.key}:`);
      for (const f of d.fields)
        lines.push(`    ${f.path}: events give ${show(f.expected)}, collection has ${show(f.actual)}`);
    }
  }
  return lines;
}
