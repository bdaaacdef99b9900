import type { Admin } from 'kafkajs';
import type { Projection } from './projections';

/** Lag of one partition of a projection's group. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  readonly committed: number;
  readonly end: number;
  readonly lag: number;
}

/** Committed offsets against end offsets, per partition, for a projection's group. */
export async function projectionLag(admin: Admin, projection: Projection, prefix: string): Promise<PartitionLag[]> {
  const topics = projection.topics.map((t) => `${prefix}${t}`);
  const committed = await admin.fetchOffsets({ groupId: `${prefix}${projection.group}`, topics });
  const rows: PartitionLag[] = [];
  for (const topic of topics) {
    const ends = await admin.fetchTopicOffsets(topic);
    const done = committed.find((c) => c.topic === topic)?.partitions ?? [];
    for (const end of [...ends].sort((a, b) => a.partition - b.partition)) {
      const offset = Number(done.find((p) => p.partition === end.partition)?.offset ?? '-1');
      const start = offset < 0 ? Number(end.low) : offset;
      rows.push({
        topic,
        partition: end.partition,
        committed: offset,
        end: Number(end.high),
        lag: Number(end.high) - start,
      });
    }
  }
  return rows;
}

/** Records in a topic (end minus start offsets), 0 if it does not exist. */
export async function topicDepth(admin: Admin, topic: string): Promise<number> {
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
  } catch {
    return 0;
  }
}
