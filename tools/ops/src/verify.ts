// `verify <projection>`: the drift check. Fold the projection's topics from their
// start in memory with the worker's rules, then compare with the live collection
// wherever the live group has consumed every record of a document.
import type { DomainEvent } from '@sc/event-schemas';
import type { ProjectionDefinition, VersionStamp } from '@sc/projection-core';
import type { AnyWorker } from '@sc/read-models';
import type { CommandResult, CommandRunner } from './command';
import { compareReadModel, formatDifferences } from './compare';
import type { ComparisonReport } from './compare';
import type { OpsContext } from './context';
import { createMemoryModel, documentKey } from './memory-model';
import type { FoldCounts } from './memory-model';
import type { ProgressReporter } from './progress';
import { fetchCommitted, fetchRanges, partitionKey, readRanges } from './topic-reader';

/** What `verify` found. */
export interface VerifyReport extends ComparisonReport {
  readonly projection: string;
  readonly collection: string;
  readonly group: string;
  /** Records folded, and what the fold made of them. */
  readonly records: number;
  readonly fold: Readonly<FoldCounts>;
}

/** Options of {@link verifyProjection}. */
export interface VerifyOptions {
  /** Differences to keep for printing. */
  readonly show: number;
  /** The collection to compare with; default the projection's own. */
  readonly collection?: string;
  readonly progress?: ProgressReporter;
}

/** Folds the worker's topics in memory and compares the result with the live collection. */
export async function verifyProjection(
  ops: OpsContext,
  worker: AnyWorker,
  options: VerifyOptions,
): Promise<VerifyReport> {
  const projection = worker.projection as ProjectionDefinition<DomainEvent, VersionStamp>;
  const topics = worker.topics.map((t) => ops.physical(t));
  const group = ops.physical(worker.group);
  // Committed offsets first, ends second: everything committed is inside the fold.
  const committedPhysical = await fetchCommitted(ops.admin, group, topics);
  const ranges = await fetchRanges(ops.admin, topics);
  const logicalKey = (topic: string, partition: number) => partitionKey(ops.logical(topic), partition);
  const committed = new Map(
    ranges.flatMap((r) => {
      const offset = committedPhysical.get(partitionKey(r.topic, r.partition));
      return offset === undefined ? [] : [[logicalKey(r.topic, r.partition), offset] as const];
    }),
  );
  const foldedUpTo = new Map(ranges.map((r) => [logicalKey(r.topic, r.partition), r.high]));
  const total = ranges.reduce((sum, r) => sum + r.high - r.low, 0);

  const model = createMemoryModel(projection);
  let read = 0;
  options.progress?.start(`verify ${projection.name}: folding ${worker.topics.join(', ')}`, total);
  await readRanges(
    ops.kafka,
    ops.admin,
    ranges,
    (batch) => {
      model.apply(ops.logical(batch.topic), batch.partition, batch.messages);
      read += batch.messages.length;
      options.progress?.update(read);
    },
    { groupPrefix: ops.physical(`sc-ops.verify.${worker.group}.`) },
  );
  options.progress?.finish();

  const collection = options.collection ?? projection.collection;
  const live = new Map<string, Record<string, unknown>>();
  for await (const doc of ops.db.collection(collection).find({}, { projection: { _id: 0 } }))
    live.set(documentKey(projection.keyFields, doc), doc);

  const report = compareReadModel({
    expected: model.documents as ReadonlyMap<string, unknown> as ReadonlyMap<string, Record<string, unknown>>,
    newest: model.newest,
    live,
    committed,
    foldedUpTo,
    show: options.show,
  });
  return { ...report, projection: projection.name, collection, group, records: read, fold: model.counts };
}

/** The report as text: counts, then the first differences field by field. */
export function formatVerifyReport(report: VerifyReport): string {
  const f = report.fold;
  const lines = [
    `verify ${report.projection}: ${report.records.toLocaleString('en')} records folded (${f.applied} applied, ${f.stale} stale, ${f.ignored} ignored, ${f.dead_lettered} refused) into ${report.collection} as the events give it`,
    `documents checked ${report.checked}: equal ${report.equal}, missing ${report.missing}, extra ${report.extra}, different ${report.different}` +
      `; not compared ${report.notYetConsumed} (newest record not yet consumed by ${report.group})`,
  ];
  const problems = report.missing + report.extra + report.different;
  if (report.differences.length > 0) {
    lines.push(
      `first ${report.differences.length} of ${problems} differences:`,
      ...formatDifferences(report.differences),
    );
  }
  lines.push(problems === 0 ? 'OK: the collection is what its events give' : `DIFFERENT: ${problems} documents differ`);
  return lines.join('\n');
}

/** The `verify` command. */
export const runVerify: CommandRunner<'verify'> = async (command, { ops, progress }): Promise<CommandResult> => {
  const report = await verifyProjection(ops, command.worker, { show: command.show, progress });
  const { differences, ...counts } = report;
  return {
    exitCode: report.missing + report.extra + report.different === 0 ? 0 : 1,
    text: formatVerifyReport(report),
    summary: { ...counts, differences },
  };
};
