// `status`: per projection, the live group's lag per partition, the dead-letter
// topic's depth, the documents and the newest `updated_at`.
import type { Admin } from 'kafkajs';
import { entityTypeOfTopic } from '@sc/event-schemas';
import { fetchGroupLag } from '@sc/kafka-runtime';
import type { PartitionLag } from '@sc/kafka-runtime';
import { WORKERS } from '@sc/read-models';
import { formatTable } from '@sc/service-kit';
import type { CommandRunner } from './command';
import type { OpsContext } from './context';

/** One projection's row of `status`. */
export interface StatusRow {
  readonly projection: string;
  readonly group: string;
  readonly lag: number;
  /** Per partition, the topic as the contract names it. */
  readonly partitions: readonly (PartitionLag & { readonly logicalTopic: string })[];
  readonly deadLetters: number;
  readonly documents: number;
  readonly newestUpdatedAt: Date | null;
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

/** Reads the status of every projection. */
export async function collectStatus(
  context: Pick<OpsContext, 'admin' | 'db' | 'physical' | 'logical'>,
): Promise<StatusRow[]> {
  const { admin, db } = context;
  const rows: StatusRow[] = [];
  // Offsets of a topic that does not exist would be retried for minutes: ask only for those that do.
  const existing = new Set(await admin.listTopics());
  for (const worker of WORKERS) {
    const group = context.physical(worker.group);
    const topics = worker.topics.map((t) => context.physical(t)).filter((t) => existing.has(t));
    const lags = topics.length === 0 ? [] : await fetchGroupLag(admin, group, topics);
    const collection = db.collection(worker.projection.collection);
    const newest = await collection
      .find({}, { projection: { updated_at: 1 } })
      .sort({ updated_at: -1 })
      .limit(1)
      .next();
    const updatedAt = newest?.['updated_at'];
    rows.push({
      projection: worker.projection.name,
      group,
      lag: lags.reduce((sum, l) => sum + l.lag, 0),
      partitions: lags.map((l) => ({ ...l, logicalTopic: context.logical(l.topic) })),
      deadLetters: existing.has(context.physical(worker.deadLetterTopic))
        ? await topicDepth(admin, context.physical(worker.deadLetterTopic))
        : 0,
      documents: await collection.countDocuments(),
      newestUpdatedAt: updatedAt instanceof Date ? updatedAt : null,
    });
  }
  return rows;
}

/** The status as the table `npm run status` prints. */
export function formatStatus(rows: readonly StatusRow[]): string {
  return formatTable(
    ['projection', 'group', 'lag', 'lag per partition', 'dead letters', 'documents', 'newest updated_at'],
    rows.map((r) => [
      r.projection,
      r.group,
      r.lag,
      r.partitions
        .map((p) => `${entityTypeOfTopic(p.logicalTopic) ?? p.logicalTopic}/${p.partition}:${p.lag}`)
        .join(' ') || '-',
      r.deadLetters,
      r.documents,
      r.newestUpdatedAt,
    ]),
  );
}

/** The `status` command. */
export const runStatus: CommandRunner<'status'> = async (_command, { ops }) => {
  const rows = await collectStatus(ops);
  return {
    exitCode: 0,
    text: formatStatus(rows),
    summary: {
      projections: rows.map((r) => ({
        projection: r.projection,
        group: r.group,
        lag: r.lag,
        deadLetters: r.deadLetters,
        documents: r.documents,
        newestUpdatedAt: r.newestUpdatedAt,
        partitions: r.partitions.map((p) => ({
          topic: p.logicalTopic,
          partition: p.partition,
          committed: p.committed,
          end: p.end,
          lag: p.lag,
        })),
      })),
    },
  };
};
