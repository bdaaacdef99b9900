// What the store's writes weigh, without a server: the events folded chunk by chunk
// exactly as the apply loop plans them, each update measured as sent (the changed
// fields) and as a whole-document replace would have been. For the benchmark.
import { BSON } from 'mongodb';
import type { ProjectionDefinition, VersionStamp, VersionedEvent } from '@sc/projection-core';
import { groupEvents, keyFilter, planRound, statementBytes } from './plan';

/** Bytes of the write statements a stream of events gives. */
export interface WriteVolume {
  readonly events: number;
  readonly inserts: number;
  readonly updates: number;
  /** Insert statements (whole new documents, with `_id`). */
  readonly insertBytes: number;
  /** Update statements as the store sends them: `$set`/`$unset` of the changed fields. */
  readonly updateBytes: number;
  /** The same updates as whole-document replaces (what the store sent before); 0 when not asked for. */
  readonly replaceBytes: number;
}

/**
 * Folds `events` in chunks of `chunkSize` onto the documents the earlier chunks made
 * and adds up the write statements the store would send, and, with `asReplaces`, what
 * whole-document replaces would have sent (off: the work the store itself does, to time it).
 */
export function measureWriteVolume<TEvent extends VersionedEvent, TDoc extends VersionStamp>(
  projection: ProjectionDefinition<TEvent, TDoc>,
  events: readonly TEvent[],
  { chunkSize = 500, asReplaces = true }: { readonly chunkSize?: number; readonly asReplaces?: boolean } = {},
): WriteVolume {
  const documents = new Map<string, TDoc>();
  let inserts = 0;
  let updates = 0;
  let insertBytes = 0;
  let updateBytes = 0;
  let replaceBytes = 0;
  for (let i = 0; i < events.length; i += chunkSize) {
    const groups = groupEvents(projection, events.slice(i, i + chunkSize));
    for (const write of planRound(projection, groups, documents).writes) {
      const bytes = statementBytes(write, projection.keyFields);
      if (write.kind === 'insert') {
        inserts++;
        insertBytes += bytes;
      } else {
        updates++;
        updateBytes += bytes;
        if (asReplaces)
          replaceBytes += BSON.calculateObjectSize({
            q: { ...keyFilter(projection.keyFields, write.group.key), entity_version: write.readVersion },
            u: write.document,
          });
      }
      documents.set(write.group.id, write.document);
    }
  }
  return { events: events.length, inserts, updates, insertBytes, updateBytes, replaceBytes };
}
