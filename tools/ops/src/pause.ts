// The requester's side of a pause (libs/mongo-store pause-control): ask the live
// workers of a collection to stop between chunks, wait until every member of their
// consumer group says it has nothing in flight, keep the request's lease alive while
// it is held, and end it. The waiting is a function of injected reads and a clock, so
// it is unit tested without a broker or a server.
import { randomUUID } from 'node:crypto';
import type { Admin } from 'kafkajs';
import type { Db } from 'mongodb';
import { readPauseAcks, releasePause, renewPause, requestPause, unacknowledgedMembers } from '@sc/mongo-store';
import type { PauseAckDocument } from '@sc/mongo-store';
import { ProjectionError, describeError, sleep } from '@sc/service-kit';
import type { Logger } from '@sc/service-kit';

/** The live group did not acknowledge a pause in time: nothing was changed, the pause is released. */
export class PauseNotAcknowledged extends ProjectionError {
  constructor(message: string, context: { readonly group: string; readonly missing: readonly string[] }) {
    super('OPERATION_TIMED_OUT', message, { retriable: true, context });
  }
}

/** What {@link waitForAcknowledgements} reads and how it waits. */
export interface AcknowledgementSource {
  /** The member ids of the live consumer group now. */
  members(): Promise<string[]>;
  acks(): Promise<Pick<PauseAckDocument, 'member' | 'request' | 'state'>[]>;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/**
 * Waits until every member of the group (as it is at each look) has acknowledged
 * `request` as paused; throws {@link PauseNotAcknowledged} naming the missing members
 * after `timeoutMs` (0: one look). Returns the members.
 */
export async function waitForAcknowledgements(
  source: AcknowledgementSource,
  options: { readonly request: string; readonly group: string; readonly timeoutMs: number; readonly pollMs: number },
): Promise<string[]> {
  const deadline = source.now() + options.timeoutMs;
  for (;;) {
    const members = await source.members();
    const missing = unacknowledgedMembers(members, await source.acks(), options.request);
    if (missing.length === 0) return members;
    if (source.now() >= deadline)
      throw new PauseNotAcknowledged(
        `the live consumer group ${options.group} did not acknowledge the pause within ${options.timeoutMs} ms ` +
          `(${missing.length} of ${members.length} members missing: ${missing.join(', ')}); the pause is released and nothing was swapped. ` +
          'A worker acknowledges once its chunk in flight is committed: look for one stuck retrying (its /readyz says why), then run the rebuild again.',
        { group: options.group, missing },
      );
    await source.sleep(options.pollMs);
  }
}

/** Options of {@link holdPause}. */
export interface HoldPauseOptions {
  readonly db: Db;
  readonly admin: Admin;
  readonly logger: Logger;
  /** The read model's collection (the control document's `_id`). */
  readonly collection: string;
  /** The live consumer group (physical name) whose members must acknowledge. */
  readonly group: string;
  /** Who asks, for the workers' logs and `/readyz`. */
  readonly by: string;
  readonly leaseMs: number;
  readonly ackTimeoutMs: number;
  readonly pollMs?: number;
  readonly now?: () => Date;
}

/** A pause held: confirm it still holds before acting on it, release it at the end. */
export interface HeldPause {
  readonly request: string;
  /** The members that acknowledged. */
  readonly members: readonly string[];
  /**
   * Renews the lease and checks once that the request is still in force and every
   * member still paused (none resumed after a lapse, none joined unpaused); throws
   * {@link PauseNotAcknowledged} otherwise.
   */
  confirm(): Promise<void>;
  /** Ends the request (idempotent, never throws: a failure is logged and the lease runs out). */
  release(): Promise<void>;
}

/**
 * Requests the pause, renews its lease every third of it, and waits for every member
 * of the live group; on a timeout (or any failure) the request is released before the
 * error is thrown.
 */
export async function holdPause(options: HoldPauseOptions): Promise<HeldPause> {
  const { db, admin, collection, group, logger } = options;
  const now = options.now ?? (() => new Date());
  const pollMs = options.pollMs ?? 200;
  const request = randomUUID();
  await requestPause(db, collection, { id: request, by: options.by, now: now(), leaseMs: options.leaseMs });
  const renew = () => {
    const at = now();
    return renewPause(db, collection, request, at, new Date(at.getTime() + options.leaseMs));
  };
  const renewal = setInterval(
    () => {
      void renew().catch((error: unknown) =>
        logger.warn({ cause: describeError(error) }, 'renewing the pause lease failed'),
      );
    },
    Math.max(100, Math.floor(options.leaseMs / 3)),
  );
  renewal.unref();
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    clearInterval(renewal);
    await releasePause(db, collection, request).catch((error: unknown) =>
      logger.warn({ cause: describeError(error), request }, 'releasing the pause failed; it lapses with its lease'),
    );
  };
  const source: AcknowledgementSource = {
    members: async () => {
      const described = await admin.describeGroups([group]);
      return (described.groups[0]?.members ?? []).map((m) => m.memberId);
    },
    acks: () => readPauseAcks(db, collection, request),
    now: () => now().getTime(),
    sleep: (ms) => sleep(ms),
  };
  try {
    const members = await waitForAcknowledgements(source, { request, group, timeoutMs: options.ackTimeoutMs, pollMs });
    logger.info({ collection, group, request, members }, 'live workers paused');
    return {
      request,
      members,
      async confirm() {
        const held = await renew();
        if (!held)
          throw new PauseNotAcknowledged(`the pause request ${request} of ${collection} is no longer in force`, {
            group,
            missing: [],
          });
        await waitForAcknowledgements(source, { request, group, timeoutMs: 0, pollMs });
      },
      release,
    };
  } catch (error) {
    await release();
    throw error;
  }
}
