import fc from 'fast-check';
import {
  DEAD_LETTER_REASONS,
  EVENT_TYPES,
  MAX_DETAIL_BYTES,
  ORDER_STATUSES,
  POST_CONTENT_TYPES,
  USER_ROLES,
  decodeRecord,
} from '../src';
import type { DecodeResult } from '../src';
import { loadVectors } from './vectors';

const TOPICS = ['sc.domain.user', 'sc.domain.post', 'sc.domain.promotion', 'sc.domain.order', 'other'];

// Valid payload templates, one per event type, from the committed vectors.
const templates = new Map(
  loadVectors('valid')
    .filter((v) => !v.name.includes(','))
    .map((v) => [
      (v.value as { event_type: string }).event_type,
      (v.value as { payload: Record<string, unknown> }).payload,
    ]),
);

const timestamp = fc.date({
  min: new Date('2000-01-01T00:00:00Z'),
  max: new Date('2100-01-01T00:00:00Z'),
  noInvalidDate: true,
});
const text = fc.string({ minLength: 1, maxLength: 40 });
const FIELD_ARBITRARIES: Record<string, fc.Arbitrary<unknown>> = {
  role: fc.constantFrom(...USER_ROLES),
  content_type: fc.constantFrom(...POST_CONTENT_TYPES),
  status: fc.constantFrom(...ORDER_STATUSES),
  currency: fc.constantFrom('EUR', 'USD', 'GBP'),
  is_global: fc.boolean(),
  quantity: fc.integer({ min: 1, max: 1000 }),
};

/** A random payload shaped like the template: [what the producer writes, what the decoder must return]. */
function payloadLike(
  template: Record<string, unknown>,
): fc.Arbitrary<[Record<string, unknown>, Record<string, unknown>]> {
  const entries = Object.entries(template).map(([field, sample]) => {
    let arb: fc.Arbitrary<[unknown, unknown]>;
    if (field.endsWith('_at')) arb = timestamp.map((d) => [d.toISOString(), d]);
    else if (FIELD_ARBITRARIES[field]) arb = FIELD_ARBITRARIES[field].map((v) => [v, v]);
    else if (typeof sample === 'number') arb = fc.nat().map((n) => [n, n]);
    else if (sample === null) arb = fc.option(text, { nil: null }).map((v) => [v, v]);
    else if (field === 'items') {
      arb = fc
        .uniqueArray(fc.tuple(text, text, text, fc.string(), fc.integer({ min: 1, max: 50 }), fc.nat(100000)), {
          minLength: 1,
          maxLength: 5,
          selector: (t) => t[0],
        })
        .map((rows) => {
          const items = rows.map(([item_id, product_id, supplier_id, title, quantity, unit_price_cents]) => ({
            item_id,
            product_id,
            supplier_id,
            title,
            quantity,
            unit_price_cents,
          }));
          return [items, items];
        });
    } else arb = text.map((v) => [v, v]);
    return arb.map(([wire, decoded]) => [field, wire, decoded] as const);
  });
  return fc
    .tuple(...entries)
    .map((fields) => [
      Object.fromEntries(fields.map(([f, w]) => [f, w])),
      Object.fromEntries(fields.map(([f, , d]) => [f, d])),
    ]);
}

const validEvent = fc.constantFrom(...EVENT_TYPES).chain((eventType) =>
  fc.record({
    eventType: fc.constant(eventType),
    eventId: fc.string({ minLength: 1, maxLength: 128 }),
    entityId: fc.string({ minLength: 1, maxLength: 128 }),
    version: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    occurredAt: timestamp,
    payload: payloadLike(templates.get(eventType)!),
  }),
);

/** The reasons only the decoder gives (the others come from projections). */
const DECODER_REASONS = DEAD_LETTER_REASONS.filter(
  (r) => !['missing_entity', 'unknown_item', 'handler_error'].includes(r),
);

/**
 * A verdict the decoder reached by its rules: an event of the contract, an unlisted
 * type, or a rejection with a decoder reason and a one-line detail of at most 1 KiB.
 * Never its catch-all for a bug of its own ("decoder failed: …"), which turns any
 * exception into a rejection, so "does not throw" alone would prove nothing.
 */
function expectDecided(result: DecodeResult): void {
  switch (result.kind) {
    case 'event':
      expect(EVENT_TYPES).toContain(result.event.event_type);
      break;
    case 'ignored':
      expect(EVENT_TYPES).not.toContain(result.eventType);
      break;
    case 'rejected':
      expect(DECODER_REASONS).toContain(result.reason);
      expect(result.detail).not.toMatch(/^decoder failed/);
      expect(result.detail).not.toContain('\n');
      expect(Buffer.byteLength(result.detail)).toBeLessThanOrEqual(MAX_DETAIL_BYTES);
      break;
  }
}

describe('decoder properties', () => {
  it('decides by its rules on arbitrary bytes, keys and topics', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TOPICS),
        fc.option(fc.uint8Array()),
        fc.option(fc.uint8Array({ maxLength: 2000 })),
        (topic, key, value) => {
          expectDecided(decodeRecord({ topic, key: key && Buffer.from(key), value: value && Buffer.from(value) }));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('rejects arbitrary JSON with a reason, by its rules', () => {
    fc.assert(
      fc.property(fc.constantFrom(...TOPICS), fc.jsonValue(), (topic, json) => {
        const result = decodeRecord({
          topic,
          key: Buffer.from('k'),
          value: Buffer.from(JSON.stringify(json) ?? 'null'),
        });
        expect(result.kind).toBe('rejected');
        expectDecided(result);
      }),
      { numRuns: 2000 },
    );
  });

  it('decides by its rules on valid events with one field replaced by arbitrary JSON', () => {
    fc.assert(
      fc.property(
        validEvent,
        fc.constantFrom(
          'event_id',
          'event_type',
          'entity_type',
          'entity_id',
          'entity_version',
          'occurred_at',
          'schema_version',
          'payload',
        ),
        fc.jsonValue(),
        (e, field, junk) => {
          const wire: Record<string, unknown> = {
            event_id: e.eventId,
            event_type: e.eventType,
            entity_type: e.eventType.split('.')[0],
            entity_id: e.entityId,
            entity_version: e.version,
            occurred_at: e.occurredAt.toISOString(),
            schema_version: 1,
            payload: e.payload[0],
          };
          wire[field] = junk;
          const result = decodeRecord({
            topic: `sc.domain.${e.eventType.split('.')[0]}`,
            key: Buffer.from(e.entityId),
            value: Buffer.from(JSON.stringify(wire)),
          });
          expectDecided(result);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('decodes every valid generated event to itself', () => {
    fc.assert(
      fc.property(validEvent, (e) => {
        const entityType = e.eventType.split('.')[0]!;
        const envelope = {
          event_id: e.eventId,
          event_type: e.eventType,
          entity_type: entityType,
          entity_id: e.entityId,
          entity_version: e.version,
          schema_version: 1,
        };
        const wire = { ...envelope, occurred_at: e.occurredAt.toISOString(), payload: e.payload[0] };
        const result = decodeRecord({
          topic: `sc.domain.${entityType}`,
          key: Buffer.from(e.entityId, 'utf8'),
          value: Buffer.from(JSON.stringify(wire)),
        });
        expect(result).toEqual({
          kind: 'event',
          event: { ...envelope, occurred_at: e.occurredAt, payload: e.payload[1] },
        });
      }),
      { numRuns: 3000 },
    );
  });
});
