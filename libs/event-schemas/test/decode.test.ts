import {
  decodeRecord,
  deadLetterTopicOf,
  GROUP_TOPICS,
  CONSUMER_GROUPS,
  DOMAIN_TOPICS,
  truncateDetail,
  MAX_DETAIL_BYTES,
} from '../src';

const record = (value: unknown, key = 'usr_1', topic = 'sc.domain.user') => ({
  topic,
  key: Buffer.from(key),
  value: Buffer.from(JSON.stringify(value)),
});
const userCreated = {
  event_id: 'e1',
  event_type: 'user.created',
  entity_type: 'user',
  entity_id: 'usr_1',
  entity_version: 1,
  occurred_at: '2026-11-26T10:00:00.000Z',
  schema_version: 1,
  payload: { display_name: 'Ada', role: 'member', created_at: '2026-11-25T09:00:00.000Z' },
};

describe('decodeRecord', () => {
  it('turns timestamps into Dates and keeps absent optional fields absent', () => {
    const result = decodeRecord(record(userCreated));
    expect(result).toEqual({
      kind: 'event',
      event: {
        ...userCreated,
        occurred_at: new Date('2026-11-26T10:00:00.000Z'),
        payload: { display_name: 'Ada', role: 'member', created_at: new Date('2026-11-25T09:00:00.000Z') },
      },
    });
  });

  it('names the field and the problem in the detail', () => {
    const result = decodeRecord(record({ ...userCreated, entity_version: -3 }));
    expect(result).toMatchObject({
      kind: 'rejected',
      reason: 'invalid_envelope',
      eventId: 'e1',
      eventType: 'user.created',
    });
    expect(result.kind === 'rejected' && result.detail).toMatch(/^entity_version: /);
  });

  it('reports a missing required payload field as required', () => {
    const result = decodeRecord(record({ ...userCreated, payload: { display_name: 'Ada', role: 'member' } }));
    expect(result).toMatchObject({ kind: 'rejected', reason: 'invalid_payload' });
    expect(result.kind === 'rejected' && result.detail).toContain('payload.created_at: is required');
  });

  it('checks the schema version before the rest of the envelope', () => {
    expect(decodeRecord(record({ schema_version: 3 }))).toMatchObject({
      kind: 'rejected',
      reason: 'unsupported_schema_version',
    });
  });
});

describe('truncateDetail', () => {
  it('keeps one line of at most 1 KiB, cutting multi-byte text safely', () => {
    const cut = truncateDetail(`é\n${'€'.repeat(2000)}`);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MAX_DETAIL_BYTES);
    expect(cut).not.toContain('\n');
    expect(cut.endsWith('…')).toBe(true);
    expect(cut).not.toContain('\uFFFD');
  });
});

describe('names', () => {
  it('follow the contract', () => {
    expect(deadLetterTopicOf(CONSUMER_GROUPS.userCards)).toBe('sc.dlq.sc-proj-user-cards');
    expect(GROUP_TOPICS[CONSUMER_GROUPS.feedBuilder]).toEqual([DOMAIN_TOPICS.post, DOMAIN_TOPICS.promotion]);
    expect(GROUP_TOPICS[CONSUMER_GROUPS.orderSummaries]).toEqual(['sc.domain.order']);
  });
});
