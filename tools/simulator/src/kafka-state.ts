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
