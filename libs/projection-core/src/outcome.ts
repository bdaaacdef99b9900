import type { Rejection } from './projection';

/** What the fold made of one event: applied, stale (not newer, or folded already), or refused. */
export type EventOutcome = 'applied' | 'stale' | Rejection;

/** Every outcome a record can have, as metrics and logs name it. */
export const RECORD_OUTCOMES = ['applied', 'stale', 'ignored', 'dead_lettered'] as const;

/**
 * What became of one Kafka record: its event's {@link EventOutcome} (a rejection is
 * `dead_lettered`), `ignored` for event types the contract does not list, and
 * `dead_lettered` for records the decoder refuses.
 */
export type RecordOutcome = (typeof RECORD_OUTCOMES)[number];
