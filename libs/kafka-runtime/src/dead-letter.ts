import type { IHeaders, Message } from 'kafkajs';
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
