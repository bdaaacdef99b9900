import type { Message } from 'kafkajs';
import { DEAD_LETTER_HEADERS } from '@sc/event-schemas';
import type { DomainEvent } from '@sc/event-schemas';
import type { ApplyOptions, EventOutcome, ProjectionSink } from '@sc/projection-core';
import { ProjectionError, createLogger } from '@sc/service-kit';
import { createChunkProcessor, createRetrier, createWorkerMetrics, sumMetricSamples } from '../src';
import { userEvent, userRecord } from './records';

const logger = createLogger({ name: 'chunk-processor-test', level: 'silent' });
const TOPIC = 'sc.domain.user';

const envelope = userEvent;
const record = userRecord;

/** A sink that answers from a table of versions, and tells what it was asked, in order. */
function fakeSink(outcomeOf: (event: DomainEvent) => EventOutcome | 'refuse', journal: string[]) {
  const sink: ProjectionSink<DomainEvent> = {
    async applyBatch(events: readonly DomainEvent[], options: ApplyOptions = {}) {
      if (events.some((e) => outcomeOf(e) === 'refuse'))
        throw new ProjectionError('STORE_REJECTED', 'document too large', { retriable: false });
      const outcomes = events.map((e) => outcomeOf(e) as EventOutcome);
      const rejected = outcomes.flatMap((o, index) => (typeof o === 'object' ? [{ index, rejection: o }] : []));
      const written = events.filter((_e, i) => outcomes[i] === 'applied');
      // Like the store: a write only when something applies, and the rejections handed over first.
      if (written.length === 0) return { outcomes, conflicts: 0, commands: 1 };
      await options.beforeWrite?.(rejected);
      journal.push(`write ${written.map((e) => e.entity_version).join(',')}`);
      return { outcomes, conflicts: 0, commands: 2 };
    },
    ping: async () => undefined,
  };
  return sink;
}

describe('the chunk processor, with an in-memory sink and producer', () => {
  const records = [
    record(10, envelope(2)),
    record(11, envelope(1)),
    record(12, envelope(3, 'user.logged_in', {})),
    record(13, 'not json'),
    record(14, envelope(4)),
    record(15, envelope(5)),
  ];
  const outcomes: Record<number, EventOutcome | 'refuse'> = {
    1: 'stale',
    2: 'applied',
    4: { rejection: 'missing_entity', detail: 'no card' },
    5: 'refuse',
  };

  async function run() {
    const journal: string[] = [];
    const letters: Message[] = [];
    const metrics = createWorkerMetrics('user_cards');
    const processor = createChunkProcessor<DomainEvent>({
      sink: fakeSink((e) => outcomes[e.entity_version] ?? 'applied', journal),
      deadLetters: {
        send: async (_topic, messages) => {
          letters.push(...messages);
          journal.push(`dead-letter ${messages.map((m) => m.headers?.[DEAD_LETTER_HEADERS.originalOffset]).join(',')}`);
        },
      },
      deadLetterTopic: 'dlq',
      consumerGroup: 'g',
      maxDeadLetterBatchBytes: 1_000_000,
      retrier: createRetrier({ policy: { initialMs: 1, maxMs: 1 }, logger, signal: new AbortController().signal }),
      logger,
      metrics,
    });
    const result = await processor.process(records, {
      topic: TOPIC,
      logicalTopic: TOPIC,
      partition: 0,
      keepGoing: () => true,
    });
    return { result, journal, letters, metrics: await metrics.registry.metrics() };
  }

  it('gives every record its outcome: applied, stale, ignored, dead-lettered by the decoder, the fold or the store', async () => {
    const { result } = await run();
    if (result.status !== 'done') throw new Error('chunk did not complete');
    expect(
      result.verdicts.map((v) => [v.record.offset, v.outcome, v.outcome === 'dead_lettered' ? v.reason : null]),
    ).toEqual([
      ['10', 'applied', null],
      ['11', 'stale', null],
      ['12', 'ignored', null],
      ['13', 'dead_lettered', 'invalid_json'],
      ['14', 'dead_lettered', 'missing_entity'],
      ['15', 'dead_lettered', 'handler_error'],
    ]);
  });

  it('dead-letters every rejection before the write that moves past it, each record once', async () => {
    const { journal, letters } = await run();
    // The batch is refused (event 5), then applied one by one: the decoder's rejection goes out before the
    // first write; the store's refusal of 5 at once (before any later write); 14, which no write follows, last.
    expect(journal).toEqual(['dead-letter 13', 'write 2', 'dead-letter 15', 'dead-letter 14']);
    expect(letters.map((m) => m.headers?.[DEAD_LETTER_HEADERS.reason])).toEqual([
      'invalid_json',
      'handler_error',
      'missing_entity',
    ]);
    expect(letters.map((m) => m.value?.toString())).toEqual([
      records[3]!.value!.toString(),
      records[5]!.value!.toString(),
      records[4]!.value!.toString(),
    ]);
  });

  it('counts each outcome in the metrics', async () => {
    const { metrics } = await run();
    expect(sumMetricSamples(metrics, 'sc_projection_events_total', { outcome: 'applied' })).toBe(1);
    expect(sumMetricSamples(metrics, 'sc_projection_events_total', { outcome: 'stale' })).toBe(1);
    expect(sumMetricSamples(metrics, 'sc_projection_events_total', { outcome: 'ignored' })).toBe(1);
    expect(sumMetricSamples(metrics, 'sc_projection_events_total', { outcome: 'dead_lettered' })).toBe(3);
    expect(sumMetricSamples(metrics, 'sc_projection_dead_lettered_total', { reason: 'handler_error' })).toBe(1);
    expect(sumMetricSamples(metrics, 'sc_projection_records_consumed_total')).toBe(6);
  });

  it('ends as stopped, sending and committing nothing more, once the partition is no longer ours', async () => {
    const journal: string[] = [];
    let ours = true;
    const processor = createChunkProcessor<DomainEvent>({
      sink: fakeSink(() => ({ rejection: 'missing_entity', detail: 'x' }), journal),
      deadLetters: {
        send: async () => {
          ours = false;
          throw new Error('broker unreachable');
        },
      },
      deadLetterTopic: 'dlq',
      consumerGroup: 'g',
      maxDeadLetterBatchBytes: 1_000_000,
      retrier: createRetrier({ policy: { initialMs: 1, maxMs: 1 }, logger, signal: new AbortController().signal }),
      logger,
    });
    const result = await processor.process([record(1, envelope(2))], {
      topic: TOPIC,
      logicalTopic: TOPIC,
      partition: 0,
      keepGoing: () => ours,
    });
    expect(result).toEqual({ status: 'stopped' });
    expect(journal).toEqual([]);
  });
});
