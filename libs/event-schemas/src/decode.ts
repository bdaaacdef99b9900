import type { z } from 'zod';
import { EnvelopeSchema, SUPPORTED_SCHEMA_VERSION } from './envelope';
import type { DomainEvent } from './events';
import { ASK_ZOD, compileFastParser } from './fast-parse';
import type { FastParser } from './fast-parse';
import { PAYLOAD_SCHEMAS } from './payloads';
import type { EventType } from './payloads';
import { MAX_DETAIL_BYTES, entityTypeOfTopic } from './topics';
import type { DeadLetterReason } from './topics';

/** What the decoder needs of a Kafka record; kafkajs messages fit it. */
export interface RawRecord {
  /** The logical domain topic, e.g. `sc.domain.user`. */
  readonly topic: string;
  readonly key: Buffer | null | undefined;
  readonly value: Buffer | null | undefined;
}

/** Reasons the decoder itself can give (the rest come from projections and the runtime). */
export type DecodeRejectionReason = Extract<
  DeadLetterReason,
  'invalid_json' | 'invalid_envelope' | 'invalid_payload' | 'topic_mismatch' | 'unsupported_schema_version'
>;

/** The outcome of decoding one record. */
export type DecodeResult =
  | { readonly kind: 'event'; readonly event: DomainEvent }
  /** A well-formed event of a type this contract does not list (yet): not an error. */
  | { readonly kind: 'ignored'; readonly eventType: string; readonly eventId: string; readonly detail: string }
  | {
      readonly kind: 'rejected';
      readonly reason: DecodeRejectionReason;
      /** One line naming the field and the problem, at most 1 KiB. */
      readonly detail: string;
      readonly eventId?: string;
      readonly eventType?: string;
    };

/** A zod schema and, where it compiles, its fast path for the inputs it accepts. */
interface Parser<T> {
  readonly schema: z.ZodType<T>;
  readonly fast: FastParser | undefined;
}
const parserOf = <T>(schema: z.ZodType<T>): Parser<T> => ({ schema, fast: compileFastParser(schema) });

const envelopeParser = parserOf(EnvelopeSchema);
const payloadParsers: ReadonlyMap<string, Parser<unknown>> = new Map(
  Object.entries(PAYLOAD_SCHEMAS).map(([eventType, schema]) => [eventType, parserOf<unknown>(schema)]),
);

/** Zod's verdict, reached by the fast path where it can vouch for the input. */
function parse<T>(parser: Parser<T>, input: unknown): z.ZodSafeParseResult<T> {
  const fast = parser.fast === undefined ? ASK_ZOD : parser.fast(input);
  return fast === ASK_ZOD ? parser.schema.safeParse(input) : { success: true, data: fast as T };
}

/**
 * Decodes one Kafka record against the contract. Never throws: every input,
 * whatever its bytes, gives an event, an "ignored" or a rejection with a reason.
 */
export function decodeRecord(record: RawRecord): DecodeResult {
  try {
    return decodeUnsafe(record);
  } catch (error) {
    // Defence in depth: a bug here must dead-letter one record, not crash a worker.
    return rejected('invalid_envelope', `decoder failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function decodeUnsafe(record: RawRecord): DecodeResult {
  const topicEntityType = entityTypeOfTopic(record.topic);
  if (topicEntityType === undefined) {
    return rejected('topic_mismatch', `topic ${record.topic} is not a domain topic of the contract`);
  }
  if (!record.value || record.value.length === 0) {
    return rejected('invalid_json', 'message value is empty');
  }

  let parsed: unknown;
  try {
    parsed = JSON.parse(record.value.toString('utf8'));
  } catch (error) {
    return rejected('invalid_json', `value is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return rejected(
      'invalid_envelope',
      `value is a JSON ${parsed === null ? 'null' : Array.isArray(parsed) ? 'array' : typeof parsed}, not an object`,
    );
  }

  const raw = parsed as Record<string, unknown>;
  const ids = {
    eventId: typeof raw.event_id === 'string' ? raw.event_id : undefined,
    eventType: typeof raw.event_type === 'string' ? raw.event_type : undefined,
  };
  const schemaVersion = raw.schema_version;
  if (
    typeof schemaVersion === 'number' &&
    Number.isInteger(schemaVersion) &&
    schemaVersion > SUPPORTED_SCHEMA_VERSION
  ) {
    return rejected(
      'unsupported_schema_version',
      `schema_version ${schemaVersion} is not supported (this worker reads ${SUPPORTED_SCHEMA_VERSION})`,
      ids,
    );
  }

  const envelope = parse(envelopeParser, raw);
  if (!envelope.success) return rejected('invalid_envelope', describeIssues(envelope.error.issues, '', raw), ids);
  const env = envelope.data;

  if (!record.key || record.key.length === 0) {
    return rejected('invalid_envelope', 'message has no key (the key must be the entity_id)', ids);
  }
  const key = record.key.toString('utf8');
  if (key !== env.entity_id) {
    return rejected(
      'invalid_envelope',
      `entity_id ${quote(env.entity_id)} does not equal the message key ${quote(key)}`,
      ids,
    );
  }
  if (env.entity_type !== topicEntityType) {
    return rejected(
      'topic_mismatch',
      `entity_type ${env.entity_type} does not belong on ${record.topic} (expects ${topicEntityType})`,
      ids,
    );
  }
  if (!env.event_type.startsWith(`${topicEntityType}.`)) {
    return rejected(
      'topic_mismatch',
      `event_type ${env.event_type} does not belong on ${record.topic} (expects ${topicEntityType}.*)`,
      ids,
    );
  }

  const payloadParser = payloadParsers.get(env.event_type);
  if (payloadParser === undefined) {
    return {
      kind: 'ignored',
      eventType: env.event_type,
      eventId: env.event_id,
      detail: `event type ${env.event_type} is not consumed`,
    };
  }
  const payload = parse(payloadParser, env.payload);
  if (!payload.success)
    return rejected('invalid_payload', describeIssues(payload.error.issues, 'payload', env.payload), ids);

  const event = { ...env, event_type: env.event_type as EventType, payload: payload.data } as DomainEvent;
  return { kind: 'event', event };
}

function rejected(
  reason: DecodeRejectionReason,
  detail: string,
  ids: { eventId?: string | undefined; eventType?: string | undefined } = {},
): DecodeResult {
  return {
    kind: 'rejected',
    reason,
    detail: truncateDetail(detail),
    ...(ids.eventId === undefined ? {} : { eventId: ids.eventId }),
    ...(ids.eventType === undefined ? {} : { eventType: ids.eventType }),
  };
}

function describeIssues(issues: readonly z.core.$ZodIssue[], prefix: string, input: unknown): string {
  const parts = issues.slice(0, 3).map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.') || '(root)';
    return `${path}: ${valueAt(input, issue.path) === undefined ? 'is required' : issue.message}`;
  });
  const more = issues.length > 3 ? `; and ${issues.length - 3} more` : '';
  return parts.join('; ') + more;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const step of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[step];
  }
  return current;
}

function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}

/** Cuts a detail to one line of at most {@link MAX_DETAIL_BYTES} bytes of UTF-8. */
export function truncateDetail(detail: string): string {
  const oneLine = detail.replace(/\s+/g, ' ').trim();
  if (Buffer.byteLength(oneLine, 'utf8') <= MAX_DETAIL_BYTES) return oneLine;
  let cut = oneLine.slice(0, MAX_DETAIL_BYTES - 3);
  while (Buffer.byteLength(cut, 'utf8') > MAX_DETAIL_BYTES - 3) cut = cut.slice(0, -1);
  return `${cut}…`;
}
