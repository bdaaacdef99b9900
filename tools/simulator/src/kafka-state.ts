import type { Admin } from 'kafkajs';
import { fetchGroupLag } from '@sc/kafka-runtime';
import type { PartitionLag } from '@sc/kafka-runtime';
import type { Projection } from './projections';

/** Committed offsets against end offsets, per partition, for a projection's group. */
export function projectionLag(admin: Admin, projection: Projection, prefix: string): Promise<PartitionLag[]> {
  return fetchGroupLag(
    admin,
    `${prefix}${projection.group}`,
    projection.topics.map((t) => `${prefix}${t}`),
  );
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
