import type { Producer } from 'kafkajs';
import type { SimulatedRecord } from '@sc/event-simulator';
import { CHUNK_ATTEMPTS, publishRecords, topicMessagesOf } from '../src/publish';

type Batch = Parameters<Producer['sendBatch']>[0];

/** Fake producers: each one fails its sends while `failing` says so, and records what reached the "broker". */
function fakeProducers(failing: (producer: number, send: number) => boolean) {
  const delivered: string[] = [];
  const opened: number[] = [];
  const disconnected: number[] = [];
  const open = async (): Promise<Producer> => {
    const id = opened.length + 1;
    opened.push(id);
    let sends = 0;
    return {
      sendBatch: async (batch: Batch) => {
        sends += 1;
        if (failing(id, sends)) throw new Error(`producer ${id} out of order`);
        for (const { topic, messages } of batch.topicMessages ?? [])
          for (const m of messages) delivered.push(`${topic}/${String(m.value)}`);
        return [];
      },
      disconnect: async () => {
        disconnected.push(id);
      },
    } as unknown as Producer;
  };
  return { open, delivered, opened, disconnected };
}

const records: SimulatedRecord[] = Array.from({ length: 5 }, (_, i) => ({
  topic: i % 2 === 0 ? 'users' : 'orders',
  key: `k${i}`,
  value: `v${i}`,
})) as unknown as SimulatedRecord[];

const options = (resends: unknown[][]) => ({
  prefix: 'p.',
  rate: 0,
  durationMs: 0,
  signal: new AbortController().signal,
  resendPauseMs: 0,
  onResend: (error: unknown, attempt: number) => resends.push([(error as Error).message, attempt]),
});

describe('publishing the simulated stream', () => {
  it('given records of several topics, then one send carries a group per prefixed topic in first-seen order, each in stream order, keyless ones pinned', () => {
    const mixed = [
      { topic: 'orders', key: 'o1', value: 'a' },
      { topic: 'users', key: null, value: 'b' },
      { topic: 'orders', key: 'o2', value: 'c' },
    ] as unknown as SimulatedRecord[];

    expect(topicMessagesOf(mixed, 'p.')).toEqual([
      {
        topic: 'p.orders',
        messages: [
          { key: 'o1', value: 'a' },
          { key: 'o2', value: 'c' },
        ],
      },
      { topic: 'p.users', messages: [{ key: null, value: 'b', partition: 0 }] },
    ]);
  });

  it('given a healthy producer, when the stream is published, then every record reaches its topic once, on that one producer', async () => {
    const fake = fakeProducers(() => false);
    const resends: unknown[][] = [];

    const sent = await publishRecords(fake.open, records, options(resends));

    expect(sent).toBe(5);
    expect([...fake.delivered].sort()).toEqual([
      'p.orders/v1',
      'p.orders/v3',
      'p.users/v0',
      'p.users/v2',
      'p.users/v4',
    ]);
    expect(fake.opened).toEqual([1]);
    expect(fake.disconnected).toEqual([1]);
    expect(resends).toEqual([]);
  });

  it('given a producer that falls out of step (every send of it fails), when a chunk fails, then a new producer sends it again and publishing goes on', async () => {
    const fake = fakeProducers((producer) => producer === 1);
    const resends: unknown[][] = [];

    const sent = await publishRecords(fake.open, records, options(resends));

    expect(sent).toBe(5);
    expect(fake.delivered).toHaveLength(5);
    expect(fake.opened).toEqual([1, 2]);
    // The failed producer is let go at once; the new one at the end.
    expect(fake.disconnected).toEqual([1, 2]);
    expect(resends).toEqual([['producer 1 out of order', 1]]);
  });

  it('given no producer can send, when every attempt of a chunk fails, then publishing stops with the last error after the last attempt', async () => {
    const fake = fakeProducers(() => true);
    const resends: unknown[][] = [];

    await expect(publishRecords(fake.open, records, options(resends))).rejects.toThrow(
      `producer ${CHUNK_ATTEMPTS} out of order`,
    );

    expect(fake.delivered).toEqual([]);
    expect(fake.opened).toHaveLength(CHUNK_ATTEMPTS);
    expect(resends.map(([, attempt]) => attempt)).toEqual(Array.from({ length: CHUNK_ATTEMPTS - 1 }, (_, i) => i + 1));
    // Every producer let go, each once: the last one too.
    expect(fake.disconnected).toEqual(fake.opened);
  });
});
