// Dead letters as the operator sees them: the contract's headers read back, the
// original record decoded again, grouped by reason and event type, selected for a
// replay, and written back for another attempt. Pure: no IO.
import type { IHeaders, Message } from 'kafkajs';
import { DEAD_LETTER_HEADERS, DEAD_LETTER_REASONS, decodeRecord } from '@sc/event-schemas';
import type { DeadLetterReason, DecodeResult } from '@sc/event-schemas';
import { buildDeadLetterMessage } from '@sc/kafka-runtime';
import { formatTable } from '@sc/service-kit';
import type { ReplaySelection } from './args';

/** A record of a dead-letter topic, as read. */
export interface DeadLetterRecord {
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: IHeaders;
}

/** A dead letter with its headers read and its original record decoded again. */
export interface DeadLetter {
  /** Where it sits in the dead-letter topic. */
  readonly partition: number;
  readonly offset: string;
  readonly reason: DeadLetterReason | 'unknown';
  readonly detail: string;
  /** The original record's physical topic, partition and offset. */
  readonly originalTopic: string;
  readonly originalPartition: number;
  readonly originalOffset: string;
  readonly consumerGroup: string;
  readonly failedAt: Date | undefined;
  readonly attempt: number;
  /** The event type of the original record, when its envelope says (`-` otherwise). */
  readonly eventType: string;
  /** Headers the original record carried (the contract's `x-*` ones left out). */
  readonly originalHeaders: Readonly<Record<string, string>>;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** The decoder's verdict on the original record, against its contract topic. */
  readonly decoded: DecodeResult;
}

const DLQ_HEADER_NAMES = new Set<string>(Object.values(DEAD_LETTER_HEADERS));

function headerText(value: IHeaders[string]): string | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.map(String).join(',') : String(value);
}

/** Reads a dead-letter record; `logical` turns the physical original topic into the contract's. */
export function readDeadLetter(record: DeadLetterRecord, logical: (topic: string) => string): DeadLetter {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    const text = headerText(value);
    if (text !== undefined) headers[name] = text;
  }
  const reasonText = headers[DEAD_LETTER_HEADERS.reason];
  const reason = DEAD_LETTER_REASONS.find((r) => r === reasonText) ?? 'unknown';
  const failedAt = headers[DEAD_LETTER_HEADERS.failedAt];
  const originalTopic = headers[DEAD_LETTER_HEADERS.originalTopic] ?? '';
  const decoded = decodeRecord({ topic: logical(originalTopic), key: record.key, value: record.value });
  const eventType =
    decoded.kind === 'event'
      ? decoded.event.event_type
      : decoded.kind === 'ignored'
        ? decoded.eventType
        : (decoded.eventType ?? '-');
  return {
    partition: record.partition,
    offset: record.offset,
    reason,
    detail: headers[DEAD_LETTER_HEADERS.detail] ?? '',
    originalTopic,
    originalPartition: Number(headers[DEAD_LETTER_HEADERS.originalPartition] ?? -1),
    originalOffset: headers[DEAD_LETTER_HEADERS.originalOffset] ?? '?',
    consumerGroup: headers[DEAD_LETTER_HEADERS.consumerGroup] ?? '',
    failedAt: failedAt === undefined || Number.isNaN(Date.parse(failedAt)) ? undefined : new Date(failedAt),
    attempt: Number(headers[DEAD_LETTER_HEADERS.attempt] ?? 1) || 1,
    eventType,
    originalHeaders: Object.fromEntries(Object.entries(headers).filter(([name]) => !DLQ_HEADER_NAMES.has(name))),
    key: record.key,
    value: record.value,
    decoded,
  };
}

/** `topic/partition@offset` of the original record. */
export function originOf(letter: DeadLetter): string {
  return `${letter.originalTopic}/${letter.originalPartition}@${letter.originalOffset}`;
}

/** One row of `dlq list`. */
export interface DeadLetterGroup {
  readonly reason: string;
  readonly eventType: string;
  readonly count: number;
  readonly maxAttempt: number;
  readonly first: Date | undefined;
  readonly last: Date | undefined;
}

/** Groups dead letters by reason and event type, sorted by reason then event type. */
export function groupDeadLetters(letters: Iterable<DeadLetter>): DeadLetterGroup[] {
  const groups = new Map<string, DeadLetterGroup>();
  for (const l of letters) {
    const id = `${l.reason}\u0000${l.eventType}`;
    const g = groups.get(id);
    const t = l.failedAt;
    const earlier = (a: Date | undefined, b: Date | undefined) =>
      a === undefined || (b !== undefined && b < a) ? b : a;
    const later = (a: Date | undefined, b: Date | undefined) => (a === undefined || (b !== undefined && b > a) ? b : a);
    groups.set(id, {
      reason: l.reason,
      eventType: l.eventType,
      count: (g?.count ?? 0) + 1,
      maxAttempt: Math.max(g?.maxAttempt ?? 0, l.attempt),
      first: earlier(g?.first, t),
      last: later(g?.last, t),
    });
  }
  return [...groups.values()].sort((a, b) =>
    a.reason === b.reason ? a.eventType.localeCompare(b.eventType) : a.reason.localeCompare(b.reason),
  );
}

/** The `dlq list` table. */
export function formatDeadLetterGroups(topic: string, groups: readonly DeadLetterGroup[]): string {
  const total = groups.reduce((sum, g) => sum + g.count, 0);
  if (total === 0) return `${topic}: no dead letters`;
  return `${topic}: ${total} dead letters\n${formatTable(
    ['reason', 'event type', 'count', 'max attempt', 'first failed at', 'last failed at'],
    groups.map((g) => [g.reason, g.eventType, g.count, g.maxAttempt, g.first, g.last]),
  )}`;
}

/** True when a replay with `selection` takes this dead letter. */
export function isSelected(letter: DeadLetter, selection: ReplaySelection): boolean {
  return (
    letter.reason === selection.reason &&
    (selection.eventType === undefined || letter.eventType === selection.eventType) &&
    (selection.since === undefined || (letter.failedAt !== undefined && letter.failedAt >= selection.since))
  );
}

function payloadText(letter: DeadLetter): string {
  if (letter.decoded.kind === 'event') return JSON.stringify(letter.decoded.event);
  const raw = letter.value?.toString('utf8') ?? 'null';
  return `(does not decode: ${letter.decoded.kind === 'rejected' ? letter.decoded.reason : letter.decoded.kind}) ${raw.length > 500 ? `${raw.slice(0, 497)}...` : raw}`;
}

/** One dead letter as `dlq show` prints it: where, why, headers, payload. */
export function formatDeadLetter(topic: string, letter: DeadLetter): string {
  return [
    `${topic}/${letter.partition}@${letter.offset}  ${letter.reason}  ${letter.eventType}  attempt ${letter.attempt}  failed ${letter.failedAt?.toISOString() ?? '?'}`,
    `  original: ${originOf(letter)} (group ${letter.consumerGroup}), key ${letter.key?.toString('utf8') ?? 'null'}`,
    `  detail:   ${letter.detail}`,
    `  headers:  ${JSON.stringify(letter.originalHeaders)}`,
    `  payload:  ${payloadText(letter)}`,
  ].join('\n');
}

/**
 * The dead letter of a record that failed again: the original key, value and
 * headers, the same origin and group, `x-attempt` one more than before.
 */
export function deadLetterAgain(letter: DeadLetter, reason: DeadLetterReason, detail: string, failedAt: Date): Message {
  return buildDeadLetterMessage(
    {
      topic: letter.originalTopic,
      partition: letter.originalPartition,
      offset: letter.originalOffset,
      key: letter.key,
      value: letter.value,
      headers: letter.originalHeaders,
    },
    { reason, detail, consumerGroup: letter.consumerGroup, attempt: letter.attempt + 1, failedAt },
  );
}
