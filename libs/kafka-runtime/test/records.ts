import type { ChunkRecord } from '../src';

/** A `user.*` event of the contract on the wire, for usr_1 at `version`. */
export const userEvent = (
  version: number,
  type = 'user.stats_changed',
  payload: object = { follower_count: version },
) => ({
  event_id: `e${version}`,
  event_type: type,
  entity_type: 'user',
  entity_id: 'usr_1',
  entity_version: version,
  occurred_at: '2026-11-26T10:00:00.000Z',
  schema_version: 1,
  payload,
});

/** A Kafka record of usr_1 (or of `key`) with a JSON (or raw string) value and a header to keep. */
export const userRecord = (offset: number, value: unknown, key: string | null = 'usr_1'): ChunkRecord => ({
  offset: String(offset),
  key: key === null ? null : Buffer.from(key),
  value: typeof value === 'string' ? Buffer.from(value) : Buffer.from(JSON.stringify(value)),
  headers: { traceparent: 'abc' },
});
