import { Partitioners } from 'kafkajs';
import type { ICustomPartitioner, IHeaders, Message } from 'kafkajs';
import { DEAD_LETTER_HEADERS, truncateDetail } from '@sc/event-schemas';
import type { DeadLetterReason } from '@sc/event-schemas';

/** Where a record came from, for its dead-letter headers. */
export interface RecordOrigin {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: IHeaders;
}

/** Why and when a record is dead-lettered. */
export interface DeadLetterCause {
  readonly reason: DeadLetterReason;
  readonly detail: string;
  readonly consumerGroup: string;
  readonly attempt: number;
  readonly failedAt: Date;
}

/**
 * The dead-letter message for a record: the original key and value bytes unchanged,
 * its original headers, and the contract's `x-*` headers.
 */
export function buildDeadLetterMessage(origin: RecordOrigin, cause: DeadLetterCause): Message {
  return {
    key: origin.key,
    value: origin.value,
    headers: {
      ...origin.headers,
      [DEAD_LETTER_HEADERS.reason]: cause.reason,
      [DEAD_LETTER_HEADERS.detail]: truncateDetail(cause.detail),
      [DEAD_LETTER_HEADERS.originalTopic]: origin.topic,
      [DEAD_LETTER_HEADERS.originalPartition]: String(origin.partition),
      [DEAD_LETTER_HEADERS.originalOffset]: origin.offset,
      [DEAD_LETTER_HEADERS.consumerGroup]: cause.consumerGroup,
      [DEAD_LETTER_HEADERS.failedAt]: cause.failedAt.toISOString(),
      [DEAD_LETTER_HEADERS.attempt]: String(cause.attempt),
    },
  };
}

/** A header's value as text (kafkajs gives a string, a Buffer, or a list of them). */
function headerText(value: IHeaders[string]): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

/**
 * The partitioner of every dead-letter producer. A keyed dead letter goes where Kafka's
 * default puts its key; a keyless one to its original partition (modulo the dead-letter
 * topic's partitions), so the keyless dead letters of one source partition stay in order.
 * kafkajs's default spreads keyless messages with a counter that moves on every attempt:
 * a send it retries after the broker wrote part of it would carry other messages under
 * the sequence numbers already written, which the broker drops as duplicates (lost dead
 * letters) or refuses with OUT_OF_ORDER_SEQUENCE_NUMBER. Here every attempt partitions alike.
 */
export const deadLetterPartitioner: ICustomPartitioner = () => {
  const byKey = Partitioners.DefaultPartitioner();
  return (args) => {
    const { message, partitionMetadata } = args;
    if (message.key !== null && message.key !== undefined) return byKey(args);
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const original = Number(headerText(message.headers?.[DEAD_LETTER_HEADERS.originalPartition]));
    return Number.isInteger(original) && original >= 0 ? original % partitionMetadata.length : 0;
  };
};
