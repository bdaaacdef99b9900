import type { ProducerBatch, ToolProducer } from '@sc/kafka-runtime';
import type { SimulatedRecord } from '@sc/event-simulator';
import { publishRecords } from '../src/publish';

/** A fake producer that records what reached the "broker", in order. */
function fakeProducer() {
  const delivered: string[] = [];
  const producer: Pick<ToolProducer, 'sendBatch'> = {
    sendBatch: async (batch: ProducerBatch) => {
      for (const { topic, messages } of batch.topicMessages ?? [])
        for (const m of messages) delivered.push(`${topic}/${String(m.value)}`);
    },
  };
  return { producer, delivered };
}

const records: SimulatedRecord[] = Array.from({ length: 5 }, (_, i) => ({
  topic: i % 2 === 0 ? 'users' : 'orders',
  key: `k${i}`,
  value: `v${i}`,
})) as unknown as SimulatedRecord[];

const options = (signal = new AbortController().signal) => ({ prefix: 'p.', rate: 0, durationMs: 0, signal });

describe('publishing the simulated stream', () => {
  it('given records of several topics, when the stream is published, then every record reaches its prefixed topic once, in stream order within a topic', async () => {
    const fake = fakeProducer();

    const sent = await publishRecords(fake.producer, records, options());

    expect(sent).toBe(5);
    expect(fake.delivered).toEqual(['p.users/v0', 'p.users/v2', 'p.users/v4', 'p.orders/v1', 'p.orders/v3']);
  });

  it('given an aborted signal, when the stream is published, then nothing is sent', async () => {
    const fake = fakeProducer();
    const abort = new AbortController();
    abort.abort();

    expect(await publishRecords(fake.producer, records, options(abort.signal))).toBe(0);
    expect(fake.delivered).toEqual([]);
  });
});
