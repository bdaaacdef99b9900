import { DEAD_LETTER_REASONS, EVENT_TYPES, MAX_DETAIL_BYTES, decodeRecord } from '../src';
import { loadVectors, vectorRecord } from './vectors';

const valid = loadVectors('valid');
const invalid = loadVectors('invalid');
const ignored = loadVectors('ignored');

describe('test vectors', () => {
  it.each(valid.map((v) => [v.name, v] as const))('valid: %s', (_name, vector) => {
    const result = decodeRecord(vectorRecord(vector));
    if (result.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(result)}`);
    expect(result.event.event_type).toBe(vector.expect.event_type);
    expect(result.event.occurred_at).toBeInstanceOf(Date);
    for (const field of vector.expect.absent_payload_fields ?? [])
      expect(result.event.payload).not.toHaveProperty([field]);
    expect(result.event).not.toHaveProperty('extra_envelope');
  });

  it.each(invalid.map((v) => [v.name, v] as const))('invalid: %s', (_name, vector) => {
    const result = decodeRecord(vectorRecord(vector));
    expect(result).toMatchObject({ kind: 'rejected', reason: vector.expect.reason });
    if (result.kind !== 'rejected') return;
    expect(result.detail).toContain(vector.expect.detail_contains);
    expect(result.detail).not.toMatch(/\n/);
    expect(Buffer.byteLength(result.detail)).toBeLessThanOrEqual(MAX_DETAIL_BYTES);
  });

  it.each(ignored.map((v) => [v.name, v] as const))('ignored: %s', (_name, vector) => {
    expect(decodeRecord(vectorRecord(vector))).toMatchObject({ kind: 'ignored' });
  });

  it('cover every event type with a valid and an invalid vector', () => {
    const validTypes = new Set(valid.map((v) => v.expect.event_type));
    const invalidTypes = new Set(
      invalid
        .filter((v) => v.expect.reason === 'invalid_payload')
        .map((v) => (v.value as { event_type: string }).event_type),
    );
    for (const eventType of EVENT_TYPES) {
      expect(validTypes).toContain(eventType);
      expect(invalidTypes).toContain(eventType);
    }
  });

  it('cover every rejection reason the decoder gives', () => {
    const decoderReasons = DEAD_LETTER_REASONS.filter(
      (r) => !['missing_entity', 'unknown_item', 'handler_error'].includes(r),
    );
    const covered = new Set(invalid.map((v) => v.expect.reason));
    for (const reason of decoderReasons) expect(covered).toContain(reason);
  });
});
