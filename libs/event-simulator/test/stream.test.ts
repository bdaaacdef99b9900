import { decodeRecord } from '@sc/event-schemas';
import { generateStream } from '../src';

const options = {
  seed: 7,
  users: 60,
  posts: 60,
  promotions: 15,
  orders: 60,
  duplicateRate: 0.05,
  staleRate: 0.05,
  poisonRate: 0.02,
  unknownTypeRate: 0.02,
  outOfOrderRate: 0.1,
};
const decode = (r: { topic: string; key: string | null; value: string | null }) =>
  decodeRecord({
    topic: r.topic,
    key: r.key === null ? null : Buffer.from(r.key),
    value: r.value === null ? null : Buffer.from(r.value),
  });

describe('generateStream', () => {
  const stream = generateStream(options);

  it('is reproducible from its seed', () => {
    expect(generateStream(options).records).toEqual(stream.records);
    expect(generateStream({ ...options, seed: 8 }).records).not.toEqual(stream.records);
  });

  it('produces contract events that decode, and ignored types that are ignored', () => {
    for (const record of stream.records.filter(
      (r) => r.kind === 'event' || r.kind === 'duplicate' || r.kind === 'stale',
    )) {
      expect(decode(record)).toMatchObject({ kind: 'event', event: { event_type: record.eventType } });
    }
    for (const record of stream.records.filter((r) => r.kind === 'ignored'))
      expect(decode(record).kind).toBe('ignored');
  });

  it('sends some entities’ version 2 before their version 1 (same key), expected as missing_entity', () => {
    const overtaking = stream.records.filter(
      (r) => r.kind === 'poison' && r.expectedReason === 'missing_entity' && !r.key!.includes('ghost'),
    );
    expect(overtaking.length).toBeGreaterThan(0);
    for (const early of overtaking) {
      const sameKey = stream.records.filter((r) => r.key === early.key && r.kind === 'event');
      const versions = (r: { value: string | null }) =>
        (JSON.parse(r.value!) as { entity_version: number }).entity_version;
      expect(versions(early)).toBe(2);
      expect(stream.records.indexOf(early)).toBeLessThan(stream.records.indexOf(sameKey[0]!));
      expect(sameKey.map(versions)).not.toContain(2);
    }
  });

  it('produces poison of every reason, the decoder rejecting those it can see', () => {
    const poison = stream.records.filter((r) => r.kind === 'poison');
    expect(new Set(poison.map((p) => p.expectedReason))).toEqual(
      new Set([
        'invalid_json',
        'invalid_envelope',
        'invalid_payload',
        'topic_mismatch',
        'unsupported_schema_version',
        'missing_entity',
        'unknown_item',
      ]),
    );
    for (const record of poison.filter(
      (p) => p.expectedReason !== 'missing_entity' && p.expectedReason !== 'unknown_item',
    )) {
      expect(decode(record)).toMatchObject({ kind: 'rejected', reason: record.expectedReason });
    }
  });

  it('keeps each entity in version order, counts what it made and expects a document per created entity', () => {
    const last = new Map<string, number>();
    for (const record of stream.records.filter((r) => r.kind === 'event')) {
      const version = (JSON.parse(record.value!) as { entity_version: number }).entity_version;
      expect(version).toBeGreaterThan(last.get(record.key!) ?? 0);
      last.set(record.key!, version);
    }
    expect(stream.counts.byKind.event).toBe(stream.records.filter((r) => r.kind === 'event').length);
    expect(stream.counts.byKind.duplicate).toBeGreaterThan(0);
    expect(stream.counts.byKind.stale).toBeGreaterThan(0);
    expect(stream.expected.user_cards.size).toBe(60);
    expect(stream.expected.feed_items.size).toBe(75);
    expect(stream.expected.order_summaries.size).toBe(60);
  });
});
