// Comparing a read model folded from its events with the live collection, allowing
// for what the live group has not consumed yet. Pure: no IO.
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

/** What {@link compareReadModel} compares. */
export interface ComparisonInput {
  /** The documents the events give, by key. */
  readonly expected: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** The newest record of every key the events name (applied or not). */
  readonly newest: ReadonlyMap<string, SourcePosition>;
  /** The live documents (without `_id`), by the same keys. */
  readonly live: ReadonlyMap<string, Readonly<Record<string, unknown>>>;
  /** The live group's committed offsets (next offset to read), by `topic/partition` of the contract's topics. */
  readonly committed: ReadonlyMap<string, number>;
  /** The end of the fold (offsets below it were folded), by `topic/partition`. */
  readonly foldedUpTo: ReadonlyMap<string, number>;
  /** How many differences to keep. */
  readonly show: number;
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

/**
 * Compares document by document, only where the live group has consumed every
 * record of the document (its newest record is below the group's committed offset);
 * a live document written from a record at or past the end of the fold is left out
 * too. Missing: the events give it, the collection lacks it; extra: the reverse.
 */
export function compareReadModel(input: ComparisonInput): ComparisonReport {
  const consumed = (p: SourcePosition): boolean =>
    p.offset < (input.committed.get(partitionKey(p.topic, p.partition)) ?? 0);
  const beyondFold = (p: SourcePosition | undefined): boolean =>
    p !== undefined && p.offset >= (input.foldedUpTo.get(partitionKey(p.topic, p.partition)) ?? 0);
  let equal = 0;
  let notYetConsumed = 0;
  const found: DocumentDifference[] = [];
  const keys = [...new Set([...input.newest.keys(), ...input.live.keys()])].sort();
  for (const key of keys) {
    const expected = input.expected.get(key);
    const actual = input.live.get(key);
    const newest = input.newest.get(key);
    if ((newest !== undefined && !consumed(newest)) || (actual !== undefined && beyondFold(positionOf(actual)))) {
      notYetConsumed++;
      continue;
    }
    if (expected === undefined && actual === undefined) continue; // only refused events: no document either side
    if (actual === undefined) found.push({ kind: 'missing', key, expected: expected! });
    else if (expected === undefined) found.push({ kind: 'extra', key, actual });
    else {
      const fields = diffValues(expected, actual);
      if (fields.length === 0) equal++;
      else found.push({ kind: 'different', key, fields });
    }
  }
  const count = (kind: DocumentDifference['kind']) => found.filter((d) => d.kind === kind).length;
  return {
    checked: equal + found.length,
    equal,
    missing: count('missing'),
    extra: count('extra'),
    different: count('different'),
    notYetConsumed,
    differences: found.slice(0, input.show),
  };
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
