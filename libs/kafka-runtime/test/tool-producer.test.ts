import type { Kafka, Producer } from 'kafkajs';
import { TOOL_SEND_ATTEMPTS, createRenewingProducer, createToolProducer, describeResend } from '../src';
import type { ProducerBatch } from '../src';

/**
 * A fake client whose producers fail their sends while `failing` says so; it records what
 * reached the "broker", which producers were made, with which settings, and let go.
 */
function fakeKafka(
  failing: (producer: number, send: number) => boolean,
  refusesConnect = (_producer: number) => false,
) {
  const delivered: string[] = [];
  const opened: number[] = [];
  const settings: unknown[] = [];
  const connected: number[] = [];
  const disconnected: number[] = [];
  const kafka: Pick<Kafka, 'producer'> = {
    producer: (config) => {
      const id = opened.length + 1;
      opened.push(id);
      settings.push(config);
      let sends = 0;
      return {
        connect: async () => {
          if (refusesConnect(id)) throw new Error(`producer ${id} cannot connect`);
          connected.push(id);
        },
        sendBatch: async (batch: ProducerBatch) => {
          sends += 1;
          if (failing(id, sends)) throw new Error(`producer ${id} out of order`);
          for (const { topic, messages } of batch.topicMessages ?? [])
            for (const m of messages) delivered.push(`${topic}/${String(m.value)}`);
          return [];
        },
        disconnect: async () => void disconnected.push(id),
      } as unknown as Producer;
    },
  };
  return { kafka, delivered, opened, settings, connected, disconnected };
}

const batch = (...values: string[]): ProducerBatch => ({
  acks: -1,
  topicMessages: [{ topic: 't', messages: values.map((value) => ({ key: value, value })) }],
});

const quick = (resends: unknown[][]) => ({
  resendPauseMs: 0,
  onResend: (error: unknown, attempt: number) => resends.push([(error as Error).message, attempt]),
});

describe('the tools’ producer', () => {
  it('given a healthy broker, when batches are sent, then each reaches it once, on one connected idempotent producer let go at the end', async () => {
    const fake = fakeKafka(() => false);
    const resends: unknown[][] = [];
    const producer = createToolProducer(fake.kafka, quick(resends));

    await producer.sendBatch(batch('a', 'b'));
    await producer.sendBatch(batch('c'));
    await producer.disconnect();

    expect(fake.delivered).toEqual(['t/a', 't/b', 't/c']);
    expect(fake.settings).toEqual([{ idempotent: true, maxInFlightRequests: 1 }]);
    expect(fake.connected).toEqual([1]);
    expect(fake.disconnected).toEqual([1]);
    expect(resends).toEqual([]);
  });

  it('given a producer that falls out of step (every send of it fails), when a batch fails, then a new producer sends it again and keeps sending', async () => {
    const fake = fakeKafka((producer) => producer === 1);
    const resends: unknown[][] = [];
    const producer = createToolProducer(fake.kafka, quick(resends));

    await producer.sendBatch(batch('a'));
    await producer.sendBatch(batch('b'));
    await producer.disconnect();

    expect(fake.delivered).toEqual(['t/a', 't/b']);
    expect(fake.opened).toEqual([1, 2]);
    // The failed producer is let go at once; the new one at the end.
    expect(fake.disconnected).toEqual([1, 2]);
    expect(resends).toEqual([['producer 1 out of order', 1]]);
  });

  it('given no producer can send, when every attempt fails, then the last error is thrown after the last attempt and every producer is let go', async () => {
    const fake = fakeKafka(() => true);
    const resends: unknown[][] = [];
    const producer = createToolProducer(fake.kafka, quick(resends));

    await expect(producer.sendBatch(batch('a'))).rejects.toThrow(`producer ${TOOL_SEND_ATTEMPTS} out of order`);

    expect(fake.delivered).toEqual([]);
    expect(fake.opened).toHaveLength(TOOL_SEND_ATTEMPTS);
    expect(resends.map(([, attempt]) => attempt)).toEqual(
      Array.from({ length: TOOL_SEND_ATTEMPTS - 1 }, (_, i) => i + 1),
    );
    expect(fake.disconnected).toEqual(fake.opened);
  });

  it('given an aborted signal, when a send fails, then it is not sent again', async () => {
    const fake = fakeKafka(() => true);
    const abort = new AbortController();
    abort.abort();
    const resends: unknown[][] = [];
    const producer = createToolProducer(fake.kafka, { ...quick(resends), signal: abort.signal });

    await expect(producer.sendBatch(batch('a'))).rejects.toThrow('producer 1 out of order');

    expect(fake.opened).toEqual([1]);
    expect(resends).toEqual([]);
  });

  it('given a failure of one batch, when the next batch is sent, then it has every attempt again', async () => {
    // a: 1 fails, 2 sends; b: 2 fails, 3 fails (no attempts left); c: 4 fails, 5 sends.
    const fake = fakeKafka((producer, send) => [1, 3, 4].includes(producer) || (producer === 2 && send === 2));
    const resends: unknown[][] = [];
    const producer = createToolProducer(fake.kafka, { ...quick(resends), attempts: 2 });

    await producer.sendBatch(batch('a'));
    await expect(producer.sendBatch(batch('b'))).rejects.toThrow('producer 3 out of order');
    await producer.sendBatch(batch('c'));

    expect(fake.delivered).toEqual(['t/a', 't/c']);
    expect(resends.map(([, attempt]) => attempt)).toEqual([1, 1, 1]);
  });
});

describe('the renewing producer (the workers’ dead letters)', () => {
  it('given settings, then its producers are idempotent with one request in flight, whatever the settings say', async () => {
    const fake = fakeKafka(() => false);
    const producer = createRenewingProducer(fake.kafka, { allowAutoTopicCreation: false, idempotent: false });

    await producer.connect();
    await producer.sendBatch(batch('a'));

    expect(fake.settings).toEqual([{ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 }]);
    expect(fake.opened).toEqual([1]);
  });

  it('given a send that fails, then the error is thrown, that producer is let go, and the next send is on a new one', async () => {
    const fake = fakeKafka((producer) => producer === 1);
    const producer = createRenewingProducer(fake.kafka);

    await expect(producer.sendBatch(batch('a'))).rejects.toThrow('producer 1 out of order');
    expect(fake.disconnected).toEqual([1]);
    await producer.sendBatch(batch('a'));
    await producer.sendBatch(batch('b'));

    expect(fake.delivered).toEqual(['t/a', 't/b']);
    expect(fake.opened).toEqual([1, 2]);
  });

  it('given a producer that cannot connect, then none is kept, and the next send connects a new one', async () => {
    const fake = fakeKafka(
      () => false,
      (producer) => producer === 1,
    );
    const producer = createRenewingProducer(fake.kafka);

    await expect(producer.connect()).rejects.toThrow('producer 1 cannot connect');
    await producer.sendBatch(batch('a'));
    await producer.disconnect();

    expect(fake.delivered).toEqual(['t/a']);
    expect(fake.connected).toEqual([2]);
    expect(fake.disconnected).toEqual([1, 2]);
  });
});

describe('describeResend', () => {
  it('given a failed attempt, then the line names the error and the next attempt of all', () => {
    expect(describeResend(new Error('out of order'), 1, 5)).toBe(
      'a send failed (Error: out of order); sending it again on a new producer (attempt 2 of 5)',
    );
  });
});
