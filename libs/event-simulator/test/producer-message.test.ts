import { generateStream, producerMessageOf, topicMessagesOf } from '../src';
import type { SimulatedRecord } from '../src';

describe('the message a producer sends for a simulated record', () => {
  it('given a keyed record, then it is its key and value, the partition left to the key', () => {
    expect(producerMessageOf({ key: 'usr_1', value: '{"a":1}' })).toEqual({ key: 'usr_1', value: '{"a":1}' });
  });

  it('given a keyless record, then it is pinned to partition 0, so that every attempt of a send is the same batch', () => {
    expect(producerMessageOf({ key: null, value: '{"a":1}' })).toEqual({ key: null, value: '{"a":1}', partition: 0 });
  });

  it("given the simulator's stream, which has keyless poison, then only those are pinned", () => {
    const stream = generateStream({
      seed: 3,
      users: 200,
      posts: 200,
      promotions: 50,
      orders: 200,
      duplicateRate: 0,
      staleRate: 0,
      poisonRate: 0.2,
      unknownTypeRate: 0,
      outOfOrderRate: 0,
    });
    const messages = stream.records.map(producerMessageOf);
    const pinned = messages.filter((m) => m.partition !== undefined);
    expect(pinned.length).toBeGreaterThan(0);
    expect(pinned.length).toBe(stream.records.filter((r) => r.key === null).length);
    expect(pinned.every((m) => m.key === null && m.partition === 0)).toBe(true);
  });
});

describe('the topic messages of one send of simulated records', () => {
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
});
