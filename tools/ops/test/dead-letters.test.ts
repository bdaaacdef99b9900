import { DEAD_LETTER_HEADERS } from '@sc/event-schemas';
import { buildDeadLetterMessage } from '@sc/kafka-runtime';
import { domainRecord } from '@sc/testing';
import {
  deadLetterAgain,
  formatDeadLetter,
  formatDeadLetterGroups,
  groupDeadLetters,
  isSelected,
  readDeadLetter,
} from '../src/dead-letters';

const logical = (topic: string) => topic.replace(/^p\./, '');

function letter(
  offset: number,
  record: { key: Buffer | null; value: Buffer | null },
  reason: 'handler_error' | 'missing_entity' | 'invalid_json',
  failedAt: string,
  attempt = 1,
) {
  const message = buildDeadLetterMessage(
    {
      topic: 'p.sc.domain.user',
      partition: 2,
      offset: String(100 + offset),
      key: record.key,
      value: record.value,
      headers: { trace: 'abc' },
    },
    {
      reason,
      detail: `${reason} detail`,
      consumerGroup: 'p.sc-proj-user-cards',
      attempt,
      failedAt: new Date(failedAt),
    },
  );
  return readDeadLetter(
    {
      partition: 0,
      offset: String(offset),
      key: message.key as Buffer,
      value: message.value as Buffer,
      headers: message.headers!,
    },
    logical,
  );
}

const verified = domainRecord('user.verified', 'u1', 2, { verified_at: '2026-11-01T01:00:00Z' });
const suspended = domainRecord('user.suspended', 'u2', 3, { suspended_at: '2026-11-01T01:00:00Z' });
const broken = { key: Buffer.from('u3'), value: Buffer.from('{oops') };

describe('dead letters', () => {
  const letters = [
    letter(0, verified, 'handler_error', '2026-11-28T06:00:00Z'),
    letter(1, suspended, 'missing_entity', '2026-11-28T06:01:00Z'),
    letter(2, verified, 'handler_error', '2026-11-28T06:05:00Z', 2),
    letter(3, broken, 'invalid_json', '2026-11-28T06:02:00Z'),
  ];

  it('reads the contract headers back and decodes the original record against its contract topic', () => {
    expect(letters[0]).toMatchObject({
      reason: 'handler_error',
      detail: 'handler_error detail',
      originalTopic: 'p.sc.domain.user',
      originalPartition: 2,
      originalOffset: '100',
      consumerGroup: 'p.sc-proj-user-cards',
      failedAt: new Date('2026-11-28T06:00:00Z'),
      attempt: 1,
      eventType: 'user.verified',
      originalHeaders: { trace: 'abc' },
    });
    expect(letters[0]!.decoded.kind).toBe('event');
    expect(letters[3]).toMatchObject({ eventType: '-', decoded: { kind: 'rejected', reason: 'invalid_json' } });
  });

  it('groups by reason and event type with counts, highest attempt and first and last time', () => {
    const groups = groupDeadLetters(letters);
    expect(groups).toEqual([
      {
        reason: 'handler_error',
        eventType: 'user.verified',
        count: 2,
        maxAttempt: 2,
        first: new Date('2026-11-28T06:00:00Z'),
        last: new Date('2026-11-28T06:05:00Z'),
      },
      {
        reason: 'invalid_json',
        eventType: '-',
        count: 1,
        maxAttempt: 1,
        first: new Date('2026-11-28T06:02:00Z'),
        last: new Date('2026-11-28T06:02:00Z'),
      },
      {
        reason: 'missing_entity',
        eventType: 'user.suspended',
        count: 1,
        maxAttempt: 1,
        first: new Date('2026-11-28T06:01:00Z'),
        last: new Date('2026-11-28T06:01:00Z'),
      },
    ]);
    expect(formatDeadLetterGroups('dlq', groups).split('\n')[0]).toBe('dlq: 4 dead letters');
    expect(formatDeadLetterGroups('dlq', [])).toBe('dlq: no dead letters');
  });

  it('selects by reason, event type and time', () => {
    const pick = (selection: Parameters<typeof isSelected>[1]) =>
      letters.filter((l) => isSelected(l, selection)).map((l) => l.offset);
    expect(pick({ reason: 'handler_error', eventType: undefined, since: undefined })).toEqual(['0', '2']);
    expect(pick({ reason: 'handler_error', eventType: 'user.suspended', since: undefined })).toEqual([]);
    expect(
      pick({ reason: 'handler_error', eventType: 'user.verified', since: new Date('2026-11-28T06:01:00Z') }),
    ).toEqual(['2']);
  });

  it('writes a record that fails again back with its origin and x-attempt increased', () => {
    const again = deadLetterAgain(letters[2]!, 'missing_entity', 'still missing', new Date('2026-11-28T07:00:00Z'));
    expect(again.key).toEqual(verified.key);
    expect(again.value).toEqual(verified.value);
    expect(again.headers).toEqual({
      trace: 'abc',
      [DEAD_LETTER_HEADERS.reason]: 'missing_entity',
      [DEAD_LETTER_HEADERS.detail]: 'still missing',
      [DEAD_LETTER_HEADERS.originalTopic]: 'p.sc.domain.user',
      [DEAD_LETTER_HEADERS.originalPartition]: '2',
      [DEAD_LETTER_HEADERS.originalOffset]: '102',
      [DEAD_LETTER_HEADERS.consumerGroup]: 'p.sc-proj-user-cards',
      [DEAD_LETTER_HEADERS.failedAt]: '2026-11-28T07:00:00.000Z',
      [DEAD_LETTER_HEADERS.attempt]: '3',
    });
  });

  it('shows a dead letter with its headers and payload', () => {
    const text = formatDeadLetter('dlq', letters[3]!);
    expect(text).toContain('dlq/0@3  invalid_json  -  attempt 1  failed 2026-11-28T06:02:00.000Z');
    expect(text).toContain('original: p.sc.domain.user/2@103 (group p.sc-proj-user-cards), key u3');
    expect(text).toContain('payload:  (does not decode: invalid_json) {oops');
    expect(formatDeadLetter('dlq', letters[0]!)).toContain('"event_type":"user.verified"');
  });
});
