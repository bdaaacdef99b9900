import { Partitioners } from 'kafkajs';
import type { Message, PartitionMetadata } from 'kafkajs';
import { buildDeadLetterMessage, deadLetterPartitioner } from '../src';

const partitions = (count: number): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
  }));

const deadLetterOf = (key: string | null, partition: number): Message =>
  buildDeadLetterMessage(
    { topic: 'sc.domain.user', partition, offset: '7', key: key === null ? null : Buffer.from(key), value: null },
    { reason: 'invalid_json', detail: 'x', consumerGroup: 'g', attempt: 1, failedAt: new Date(0) },
  );

describe('deadLetterPartitioner', () => {
  it('given keyless dead letters, when each is partitioned again and again (kafkajs retrying a send), then it lands where its original partition says, every time', () => {
    const partition = deadLetterPartitioner();
    const metadata = partitions(3);
    const placed = [0, 1, 2, 3, 4, 5].map((original) =>
      [1, 2, 3].map(() =>
        partition({ topic: 'sc.dlq.g', partitionMetadata: metadata, message: deadLetterOf(null, original) }),
      ),
    );
    expect(placed).toEqual([
      [0, 0, 0],
      [1, 1, 1],
      [2, 2, 2],
      [0, 0, 0],
      [1, 1, 1],
      [2, 2, 2],
    ]);
  });

  it('given keyed dead letters, then they land where Kafka’s default partitioner puts their keys', () => {
    const partition = deadLetterPartitioner();
    const byKey = Partitioners.DefaultPartitioner();
    const metadata = partitions(6);
    for (const key of ['usr_1', 'usr_2', 'ord_17', 'pst_9']) {
      const message = deadLetterOf(key, 5);
      expect(partition({ topic: 't', partitionMetadata: metadata, message })).toBe(
        byKey({ topic: 't', partitionMetadata: metadata, message }),
      );
    }
  });

  it('given a keyless message without the original partition header, then partition 0, every time', () => {
    const partition = deadLetterPartitioner();
    const metadata = partitions(4);
    const message: Message = { key: null, value: 'v', headers: {} };
    expect([1, 2, 3].map(() => partition({ topic: 't', partitionMetadata: metadata, message }))).toEqual([0, 0, 0]);
  });
});
