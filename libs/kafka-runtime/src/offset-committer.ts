// Offset commits off the critical path. A commit costs a round trip plus the group
// coordinator's append linger (5 ms by default since Kafka 4.0): awaited after every chunk,
// it made up a third to a half of a chunk's time at low rates, and delayed the next fetch.
// Here a chunk asks for its commit and goes on; commits go out one request at a time,
// each carrying the latest offset asked for of every partition since the one before.
import { findCause } from '@sc/service-kit';

/** The next offset to read of one partition, as Kafka commits it. */
export interface PartitionOffset {
  readonly topic: string;
  readonly partition: number;
  /** The offset after the last durable record (a string, like kafkajs's offsets). */
  readonly offset: string;
}

/** Commits offsets; see the module comment. */
export interface OffsetCommitter {
  /**
   * Asks for `offset` of its partition to be committed. Resolves once a commit carrying it,
   * or a later offset of the same partition, has succeeded; rejects with the error of the
   * commit that carried it otherwise.
   */
  commit(offset: PartitionOffset): Promise<void>;
  /** Resolves once every commit asked for so far has settled, whatever the outcome. */
  settled(): Promise<void>;
}

interface Pending {
  offset: PartitionOffset;
  readonly waiters: { resolve: () => void; reject: (error: unknown) => void }[];
}

/** Creates an {@link OffsetCommitter} over `send`, which commits a list of offsets in one request. */
export function createOffsetCommitter(send: (offsets: readonly PartitionOffset[]) => Promise<void>): OffsetCommitter {
  let pending = new Map<string, Pending>();
  let inFlight: Promise<void> | undefined;

  /** Sends what is pending in one request and settles its waiters; never rejects. */
  async function sendPending(): Promise<void> {
    const entries = [...pending.values()];
    pending = new Map();
    try {
      await send(entries.map((entry) => entry.offset));
      for (const entry of entries) for (const waiter of entry.waiters) waiter.resolve();
    } catch (error) {
      for (const entry of entries) for (const waiter of entry.waiters) waiter.reject(error);
    }
  }

  /** Sends what is pending, then whatever was asked for meanwhile, one request at a time. */
  async function drain(): Promise<void> {
    while (pending.size > 0) await sendPending();
    inFlight = undefined;
  }

  return {
    commit(offset) {
      const key = `${offset.topic}\u0000${offset.partition}`;
      const entry = pending.get(key) ?? { offset, waiters: [] };
      entry.offset = offset;
      pending.set(key, entry);
      const done = new Promise<void>((resolve, reject) => entry.waiters.push({ resolve, reject }));
      inFlight ??= drain();
      return done;
    },
    async settled() {
      while (inFlight !== undefined) await inFlight;
    },
  };
}

/**
 * The consumer's commits in the background, and what a failed one means for it. A join
 * makes kafkajs read the committed offsets again; until then, after a failed commit, the
 * consumer's positions are ahead of them, and a pause acknowledged meanwhile found offsets
 * behind what the store holds. So the failure is thrown, once, before the next chunk:
 * kafkajs then rejoins, and no record is skipped on a collection swapped in meanwhile.
 */
export interface BackgroundCommits {
  /** Asks for a durable chunk's offset to be committed; resolves once that commit settled, whatever the outcome. */
  commit(offset: PartitionOffset): Promise<void>;
  /** The consumer joined its group (again): failures of commits asked for before no longer matter. */
  joined(): void;
  /** Throws the failure of a commit asked for since the last join, once (see {@link rejoinableError}). */
  throwIfFailed(): void;
  /** Resolves once every commit asked for so far has settled. */
  settled(): Promise<void>;
}

/** Kafka's answers that mean the group moved on: kafkajs's runner rejoins on them, by their `type`. */
const REJOIN_TYPES = new Set([
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
]);

/**
 * A failed commit as kafkajs's runner must see it to rejoin its group rather than crash:
 * kafkajs's own retrier wraps a refusal such as ILLEGAL_GENERATION in a
 * KafkaJSNonRetriableError without the `type` the runner rejoins by, so the refusal in
 * its cause chain is thrown instead. Any other failure is thrown as it is.
 */
export function rejoinableError(error: unknown): unknown {
  const isRejoin = (cause: Error): boolean => {
    const type = (cause as Error & { type?: unknown }).type;
    return typeof type === 'string' && REJOIN_TYPES.has(type);
  };
  return findCause(error, isRejoin, 6) ?? error;
}

/** Creates {@link BackgroundCommits} over `send`; `onFailure` hears of each failure that counts (for the log). */
export function createBackgroundCommits(
  send: (offsets: readonly PartitionOffset[]) => Promise<void>,
  onFailure: (offset: PartitionOffset, error: unknown) => void,
): BackgroundCommits {
  const committer = createOffsetCommitter(send);
  let joins = 0;
  let failure: { readonly error: unknown } | undefined;
  return {
    commit(offset) {
      const askedIn = joins;
      return committer.commit(offset).catch((error: unknown) => {
        if (askedIn !== joins) return;
        failure ??= { error };
        onFailure(offset, error);
      });
    },
    joined() {
      joins++;
      failure = undefined;
    },
    throwIfFailed() {
      const failed = failure;
      if (failed === undefined) return;
      failure = undefined;
      throw rejoinableError(failed.error);
    },
    settled: () => committer.settled(),
  };
}
