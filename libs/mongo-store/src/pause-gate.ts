// The workers' side of ./pause-control: the pause request of one collection, read
// again on a timer so that the runtime can ask before every chunk without a round trip,
// and the worker's acknowledgements. Structurally the runtime's `PauseGate`
// (libs/kafka-runtime), which this lib does not import: the runtime stays free of
// MongoDB and the store free of Kafka.
import { hostname } from 'node:os';
import type { Db } from 'mongodb';
import { describeError } from '@sc/service-kit';
import type { Logger } from '@sc/service-kit';
import { PAUSE_ACKS_COLLECTION, PAUSE_CONTROL_COLLECTION, pauseInForce } from './pause-control';
import type { PauseAckDocument, PauseControlDocument } from './pause-control';

/** Default of {@link MongoPauseGateOptions.refreshMs}: how stale the worker's view of a request can be. */
export const DEFAULT_PAUSE_REFRESH_MS = 500;

/** Options of {@link openMongoPauseGate}. */
export interface MongoPauseGateOptions {
  readonly db: Db;
  /** The read model's collection: the `_id` of its control document. */
  readonly collection: string;
  readonly logger: Logger;
  readonly refreshMs?: number;
  /** `host:pid` by default. */
  readonly instance?: string;
  readonly now?: () => Date;
}

/** The gate, and how to stop its timer. */
export interface MongoPauseGate {
  current(): { readonly id: string; readonly by: string; readonly leaseUntil: Date } | undefined;
  acknowledge(ack: {
    readonly request: string;
    readonly member: string;
    readonly state: 'paused' | 'resumed';
  }): Promise<void>;
  /** Reads the control document now (the timer does it every `refreshMs`). */
  refresh(): Promise<void>;
  close(): void;
}

/**
 * Reads the control document once (so a worker that starts during a pause never
 * consumes before it knows), then every `refreshMs`. A failed read keeps the last
 * document, whose lease still runs out by this process's clock.
 */
export async function openMongoPauseGate(options: MongoPauseGateOptions): Promise<MongoPauseGate> {
  const { db, collection, logger } = options;
  const now = options.now ?? (() => new Date());
  const instance = options.instance ?? `${hostname()}:${process.pid}`;
  const control = db.collection<PauseControlDocument>(PAUSE_CONTROL_COLLECTION);
  const acks = db.collection<PauseAckDocument>(PAUSE_ACKS_COLLECTION);
  let last: PauseControlDocument | null = null;
  let failing = false;

  async function refresh(): Promise<void> {
    try {
      last = await control.findOne({ _id: collection });
      if (failing) logger.info({ collection }, 'pause control readable again');
      failing = false;
    } catch (error) {
      if (!failing)
        logger.warn({ collection, cause: describeError(error) }, 'cannot read the pause control; keeping the last');
      failing = true;
    }
  }

  await refresh();
  let refreshing = false;
  const timer = setInterval(() => {
    if (refreshing) return;
    refreshing = true;
    void refresh().finally(() => {
      refreshing = false;
    });
  }, options.refreshMs ?? DEFAULT_PAUSE_REFRESH_MS);
  timer.unref();

  return {
    current: () => pauseInForce(last, now()),
    async acknowledge({ request, member, state }) {
      const at = now();
      await acks.updateOne(
        { _id: `${collection}/${member}` },
        {
          $set: {
            collection,
            request,
            member,
            instance,
            state,
            ...(state === 'paused' ? { paused_at: at } : { resumed_at: at }),
          },
          ...(state === 'paused' ? { $unset: { resumed_at: '' } } : {}),
        },
        { upsert: true },
      );
    },
    refresh,
    close: () => clearInterval(timer),
  };
}
