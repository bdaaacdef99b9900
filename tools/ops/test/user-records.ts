// Hand-made user records for the dead-letter tests: a world of the user-cards worker whose
// topics hold only what a test produces, in partitions whose order the test knows.
import { createToolProducer } from '@sc/kafka-runtime';
import { USER_CARDS_WORKER } from '@sc/read-models';
import { DEFAULT_STREAM, createEndToEndWorld, createTopics, domainRecord, produceAll } from '@sc/testing';
import type { EndToEndWorld } from '@sc/testing';

/** The user topic as the world names it. */
export const userTopicOf = (world: EndToEndWorld): string => `${world.prefix}sc.domain.user`;

/**
 * A user-cards world with no generated records: the user topic in `userPartitions`
 * partitions, and the dead-letter topic in one, so the dead letters' order is known.
 */
export async function createUserRecordsWorld(seed: number, userPartitions: number): Promise<EndToEndWorld> {
  const world = await createEndToEndWorld(
    USER_CARDS_WORKER,
    { seed, ...DEFAULT_STREAM, users: 0, posts: 0, promotions: 0, orders: 0 },
    { createTopicsNow: false },
  );
  await createTopics(world.admin, [userTopicOf(world)], userPartitions);
  await createTopics(world.admin, [world.deadLetterTopic], 1);
  return world;
}

/** `user.created` of `id`, version 1. */
export const userCreated = (id: string) =>
  domainRecord('user.created', id, 1, { display_name: id, role: 'member', created_at: '2026-11-01T00:00:00Z' });

/** `user.verified` of `id` at `version`. */
export const userVerified = (id: string, version: number) =>
  domainRecord('user.verified', id, version, { verified_at: '2026-11-01T01:00:00Z' });

/** Produces `records` to the world's user topic, in order, acknowledged by all replicas. */
export async function produceUserRecords(
  world: EndToEndWorld,
  records: readonly ReturnType<typeof domainRecord>[],
): Promise<void> {
  const producer = createToolProducer(world.kafka);
  try {
    await produceAll(
      producer,
      userTopicOf(world),
      records.map((r) => ({ key: r.key, value: r.value })),
    );
  } finally {
    await producer.disconnect();
  }
}
