import type { Admin } from 'kafkajs';

/** How far a consumer group is behind on one partition. */
export interface PartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset, or -1 when it has none. */
  readonly committed: number;
  /** The partition's end offset (high watermark). */
  readonly end: number;
  /** Records not yet committed: from the committed offset, or from the start when there is none. */
  readonly lag: number;
}

/** Committed offsets against end offsets, per partition, sorted by topic and partition. */
export async function fetchGroupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<PartitionLag[]> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
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
