import { MongoClient, MongoServerError } from 'mongodb';
import { createToolProducer } from '@sc/kafka-runtime';
import { createTestNamespace, createTopics, eventually, produceAll, testKafka } from '../src';

// Proves the harness gives a real broker and a real document store, not stand-ins.
describe('real infrastructure', () => {
  const ns = createTestNamespace('smoke');

  it('Kafka: a consumer group reads 1,000 keyed messages across 3 partitions, commits, and reads nothing new after a restart', async () => {
    const kafka = testKafka('smoke');
    const admin = kafka.admin();
    await admin.connect();
    const topic = `${ns.prefix}smoke`;
    const groupId = `${ns.prefix}group`;
    await createTopics(admin, [topic], 3);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);

    const producer = createToolProducer(kafka);
    await produceAll(
      producer,
      topic,
      Array.from({ length: 1000 }, (_, i) => ({ key: `k${i % 97}`, value: `v${i}` })),
    );
    await producer.disconnect();

    const seen = new Set<string>();
    const partitions = new Set<number>();
    const first = kafka.consumer({ groupId });
    await first.connect();
    await first.subscribe({ topic, fromBeginning: true });
    await first.run({
      eachMessage: async ({ partition, message }) => {
        seen.add(message.value!.toString());
        partitions.add(partition);
      },
    });
    await eventually('1,000 messages consumed', () => seen.size === 1000);
    await first.disconnect(); // commits the consumed offsets
    expect(partitions.size).toBe(3);

    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = offsets[0]!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(committed).toBe(1000);

    let redelivered = 0;
    const second = kafka.consumer({ groupId });
    await second.connect();
    await second.subscribe({ topic, fromBeginning: true });
    let joined = false;
    second.on(second.events.GROUP_JOIN, () => {
      joined = true;
    });
    await second.run({
      eachMessage: async () => {
        redelivered++;
      },
    });
    await eventually('the second consumer joined', () => joined);
    // Give it several fetch cycles to (wrongly) re-read anything.
    await new Promise((r) => setTimeout(r, 2000));
    await second.disconnect();
    await admin.disconnect();
    expect(redelivered).toBe(0);
  });

  it('MongoDB: a unique index refuses a duplicate (11000) and a compound descending index is listed', async () => {
    const client = new MongoClient(process.env['MONGO_URL']!);
    await client.connect();
    try {
      const collection = client.db(ns.database).collection('smoke');
      await collection.createIndex({ user_id: 1 }, { unique: true, name: 'user_id_unique' });
      await collection.createIndex({ status: 1, created_at: -1 }, { name: 'status_created_at' });
      await collection.insertOne({ user_id: 'u1' });
      const duplicate = await collection.insertOne({ user_id: 'u1' }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(duplicate).toBeInstanceOf(MongoServerError);
      expect((duplicate as MongoServerError).code).toBe(11000);
      const indexes = await collection.listIndexes().toArray();
      const compound = indexes.find((i) => i['name'] === 'status_created_at');
      expect(compound?.['key']).toEqual({ status: 1, created_at: -1 });
      expect(indexes.find((i) => i['name'] === 'user_id_unique')?.['unique']).toBe(true);
    } finally {
      await client.db(ns.database).dropDatabase();
      await client.close();
    }
  });
});
