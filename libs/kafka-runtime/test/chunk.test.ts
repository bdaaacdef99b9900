import { DEAD_LETTER_HEADERS } from '@sc/event-schemas';
import { ProjectionError } from '@sc/service-kit';
import { ChunkStopped, applyIsolating, buildDeadLetterMessage, decodeChunk, judgeChunk } from '../src';
import type { ApplyOptions } from '@sc/projection-core';
import { userEvent, userRecord } from './records';

const event = userEvent;
const record = userRecord;

describe('decodeChunk and judgeChunk', () => {
  const records = [
    record(10, event(2)),
    record(11, 'garbage'),
    record(12, event(3, 'user.logged_in', {})),
    record(13, event(4)),
    record(14, event(5), null),
  ];
  const decoded = decodeChunk('sc.domain.user', records);

  it('hands only decoded events to the sink, in offset order', () => {
    expect(decoded.events.map((e) => e.entity_version)).toEqual([2, 4]);
    expect(decoded.eventRecords.map((r) => r.offset)).toEqual(['10', '13']);
  });

  it('gives one verdict per record, joining the sink outcomes with the decoder rejections', () => {
    const verdicts = judgeChunk(decoded, ['applied', { rejection: 'missing_entity', detail: 'no card' }]);
    expect(verdicts.map((v) => [v.record.offset, v.outcome, v.outcome === 'dead_lettered' ? v.reason : null])).toEqual([
      ['10', 'applied', null],
      ['11', 'dead_lettered', 'invalid_json'],
      ['12', 'ignored', null],
      ['13', 'dead_lettered', 'missing_entity'],
      ['14', 'dead_lettered', 'invalid_envelope'],
    ]);
    expect(verdicts[3]).toMatchObject({ eventId: 'e4', eventType: 'user.stats_changed', detail: 'no card' });
  });

  it('dead-letters an event the sink gave no outcome for, rather than dropping it', () => {
    expect(judgeChunk(decoded, ['applied'])[3]).toMatchObject({ outcome: 'dead_lettered', reason: 'handler_error' });
  });
});

describe('buildDeadLetterMessage', () => {
  it('keeps the original key, value and headers, and adds every x-* header of the contract', () => {
    const original = record(42, 'not json');
    const message = buildDeadLetterMessage(
      { topic: 'sc.domain.user', partition: 3, ...original },
      {
        reason: 'invalid_json',
        detail: `bad\n${'x'.repeat(5000)}`,
        consumerGroup: 'sc-proj-user-cards',
        attempt: 2,
        failedAt: new Date('2026-11-27T00:00:00.000Z'),
      },
    );
    expect(message.key).toBe(original.key);
    expect(message.value).toBe(original.value);
    expect(message.headers).toMatchObject({
      traceparent: 'abc',
      [DEAD_LETTER_HEADERS.reason]: 'invalid_json',
      [DEAD_LETTER_HEADERS.originalTopic]: 'sc.domain.user',
      [DEAD_LETTER_HEADERS.originalPartition]: '3',
      [DEAD_LETTER_HEADERS.originalOffset]: '42',
      [DEAD_LETTER_HEADERS.consumerGroup]: 'sc-proj-user-cards',
      [DEAD_LETTER_HEADERS.failedAt]: '2026-11-27T00:00:00.000Z',
      [DEAD_LETTER_HEADERS.attempt]: '2',
    });
    const detail = String(message.headers![DEAD_LETTER_HEADERS.detail]);
    expect(Buffer.byteLength(detail)).toBeLessThanOrEqual(1024);
    expect(detail).not.toContain('\n');
  });
});

describe('applyIsolating', () => {
  const events = decodeChunk('sc.domain.user', [record(1, event(2)), record(2, event(3)), record(3, event(4))]).events;
  const refusing = (bad: number, retriable = false) => ({
    ping: async () => undefined,
    applyBatch: async (batch: readonly (typeof events)[number][]) => {
      if (batch.some((e) => e.entity_version === bad)) {
        throw new ProjectionError(retriable ? 'STORE_UNAVAILABLE' : 'STORE_REJECTED', `refused v${bad}`, { retriable });
      }
      return { outcomes: batch.map(() => 'applied' as const), conflicts: 0, commands: 2 };
    },
  });

  it('narrows a non-retriable refusal down to the event that causes it', async () => {
    const refusals: unknown[] = [];
    const deadLettered: unknown[] = [];
    const result = await applyIsolating(refusing(3), events, {
      keepGoing: () => true,
      onRefused: (e) => refusals.push(e),
      beforeWrite: async (rejected) => void deadLettered.push(...rejected),
    });
    expect(result.outcomes).toEqual([
      'applied',
      { rejection: 'handler_error', detail: '[STORE_REJECTED] ProjectionError: refused v3' },
      'applied',
    ]);
    expect(result.commands).toBe(4);
    expect(refusals).toHaveLength(1);
    // Handed over for dead-lettering before the next event was written.
    expect(deadLettered).toEqual([{ index: 1, rejection: result.outcomes[1] }]);
  });

  it('stops the one-by-one pass when the partition is no longer ours', async () => {
    let calls = 0;
    await expect(
      applyIsolating(refusing(3), events, { keepGoing: () => ++calls < 2, onRefused: () => undefined }),
    ).rejects.toBeInstanceOf(ChunkStopped);
  });

  it('retries, never isolates, an error that is not a store refusal (unknown means retriable)', async () => {
    const broken = { ...refusing(0), applyBatch: async () => Promise.reject(new TypeError('socket hang up')) };
    await expect(
      applyIsolating(broken, events, { keepGoing: () => true, onRefused: () => undefined }),
    ).rejects.toMatchObject({
      code: 'SINK_FAILED',
      retriable: true,
    });
  });

  it('never takes a failure of the dead-letter step for a refusal of the store', async () => {
    const failure = new Error('dead-letter topic gone');
    const sink = {
      ping: async () => undefined,
      applyBatch: async (_batch: unknown, options?: ApplyOptions) => {
        await options?.beforeWrite?.([]);
        return { outcomes: [], conflicts: 0, commands: 0 };
      },
    };
    const refusals: unknown[] = [];
    await expect(
      applyIsolating(sink, events, {
        keepGoing: () => true,
        onRefused: (e) => refusals.push(e),
        beforeWrite: () => Promise.reject(failure),
      }),
    ).rejects.toBe(failure);
    expect(refusals).toEqual([]);
  });

  it('leaves retriable errors to the caller, who retries the whole batch', async () => {
    await expect(
      applyIsolating(refusing(3, true), events, { keepGoing: () => true, onRefused: () => undefined }),
    ).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      retriable: true,
    });
  });
});
