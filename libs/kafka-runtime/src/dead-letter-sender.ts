import type { Message } from 'kafkajs';
import { ERROR_CODES, ProjectionError } from '@sc/service-kit';
import type { ErrorContext } from '@sc/service-kit';
import { toKafkaError } from './kafka-client';

/** Where dead letters are produced: a kafkajs producer in production, an array in tests. */
export interface DeadLetterProducer {
  /** Sends with acknowledgement from all in-sync replicas; throws the client's errors. */
  send(topic: string, messages: Message[]): Promise<void>;
}

/** A byte count per record that covers Kafka's record and batch framing generously. */
const RECORD_OVERHEAD_BYTES = 96;

/** About how many bytes a message takes in a record batch. */
export function messageBytes(message: Message): number {
  let bytes = RECORD_OVERHEAD_BYTES + byteLength(message.key) + byteLength(message.value);
  for (const [name, value] of Object.entries(message.headers ?? {}))
    bytes +=
      Buffer.byteLength(name) +
      (Array.isArray(value) ? value.reduce((n, v) => n + byteLength(v), 0) : byteLength(value));
  return bytes;
}

function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/**
 * Cuts messages, in order, into sends of at most `maxBytes` each (a message larger
 * than that goes alone), so no record batch exceeds the topic's `max.message.bytes`
 * because of how many dead letters a chunk has.
 */
export function batchesUnder(messages: readonly Message[], maxBytes: number): Message[][] {
  const batches: Message[][] = [];
  let current: Message[] = [];
  let size = 0;
  for (const message of messages) {
    const bytes = messageBytes(message);
    if (current.length > 0 && size + bytes > maxBytes) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(message);
    size += bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The code of a dead-letter send that can never succeed until an operator acts. */
export const DEAD_LETTER_REFUSED = ERROR_CODES.DEAD_LETTER_REFUSED;

/** Kafka's error type (e.g. `MESSAGE_TOO_LARGE`) anywhere in a kafkajs error's chain. */
function kafkaErrorTypes(error: unknown): string[] {
  const types: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 6; depth++) {
    const e = current as Error & { type?: unknown; originalError?: unknown; errors?: unknown[] };
    if (typeof e.type === 'string') types.push(e.type);
    if (Array.isArray(e.errors)) for (const inner of e.errors) types.push(...kafkaErrorTypes(inner));
    current = e.originalError ?? e.cause;
  }
  return types;
}

/** What an operator must do when the broker refuses dead letters for good; undefined when a retry may help. */
export function deadLetterRefusal(error: unknown, topic: string): string | undefined {
  const types = kafkaErrorTypes(error);
  const has = (...wanted: string[]) => types.some((t) => wanted.includes(t));
  if (has('MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE'))
    return `a dead letter is larger than ${topic} accepts: raise max.message.bytes of ${topic} (and the brokers' message.max.bytes) to at least that of the source topics`;
  if (has('TOPIC_AUTHORIZATION_FAILED', 'CLUSTER_AUTHORIZATION_FAILED', 'SASL_AUTHENTICATION_FAILED'))
    return `the broker denies this worker writes to ${topic}: grant its principal WRITE and DESCRIBE on ${topic}`;
  if (has('UNKNOWN_TOPIC_OR_PARTITION') && !(error as { retriable?: boolean }).retriable)
    return `${topic} does not exist: create it (npm run topics:provision, the topics Job of deploy/, or KAFKA_CREATE_TOPICS=true)`;
  if (has('INVALID_RECORD', 'POLICY_VIOLATION', 'INVALID_TOPIC_EXCEPTION', 'INVALID_REQUIRED_ACKS'))
    return `the broker refuses records on ${topic} (${types.join(', ')}): check the topic's configuration`;
  return undefined;
}

/**
 * Sends dead letters in sends under `maxBytes`; a refusal that cannot pass by itself
 * becomes a non-retriable {@link DEAD_LETTER_REFUSED} error whose context says what
 * an operator must do (`operatorAction`); anything else is retriable.
 */
export async function sendDeadLetters(
  producer: DeadLetterProducer,
  topic: string,
  messages: readonly Message[],
  maxBytes: number,
  context: ErrorContext = {},
): Promise<void> {
  for (const batch of batchesUnder(messages, maxBytes)) {
    try {
      await producer.send(topic, batch);
    } catch (error) {
      const operatorAction = deadLetterRefusal(error, topic);
      if (operatorAction === undefined) throw toKafkaError(error, `send to ${topic}`, context);
      throw new ProjectionError(DEAD_LETTER_REFUSED, `send to ${topic} refused: ${operatorAction}`, {
        retriable: false,
        cause: error,
        context: { ...context, operatorAction },
      });
    }
  }
}

/** The operator action of a {@link DEAD_LETTER_REFUSED} error (for the retrier's `holdsOn`). */
export function operatorActionOf(error: unknown): string | undefined {
  return error instanceof ProjectionError && error.code === DEAD_LETTER_REFUSED
    ? String(error.context['operatorAction'])
    : undefined;
}
