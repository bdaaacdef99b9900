// The worker's side of a pause: chunks pass the fence one by one; while a pause is in
// force none starts, and once none is in flight (every chunk done and committed) the
// worker acknowledges, so the requester knows the committed offsets are final.
import { describeError, sleep } from '@sc/service-kit';
import type { Logger } from '@sc/service-kit';
import type { PauseGate, PauseRequest } from './pause-gate';

/** Options of {@link createPauseFence}. */
export interface PauseFenceOptions {
  readonly gate: PauseGate;
  /** The group member id now (undefined while not joined: nobody waits for a non-member). */
  readonly member: () => string | undefined;
  readonly logger: Logger;
  /** Aborted on shutdown: waits end and the timer stops. */
  readonly signal: AbortSignal;
  /**
   * Called once before the first chunk after a pause: whatever the worker holds about
   * the collection may be wrong now (a rebuild may have swapped another one in).
   */
  readonly onResume: () => void;
  /** 1 while a pause is in force (a metric). */
  readonly onPausedChange?: (paused: boolean) => void;
  /** How often a waiting chunk and the acknowledging timer look at the gate. Default 100 ms. */
  readonly pollMs?: number;
}

/** Chunks pass it; see the module comment. */
export interface PauseFence {
  /**
   * Waits while a pause is in force, then counts a chunk in flight and returns true;
   * returns false (nothing counted) once `keepGoing` turns false while waiting.
   */
  enter(keepGoing: () => boolean): Promise<boolean>;
  /** The chunk of the last `enter` is done: committed, or given up. */
  leave(): void;
  /** `/readyz` reason while paused. */
  reason(): string | undefined;
  /** Stops the acknowledging timer. */
  stop(): void;
}

/** Default of {@link PauseFenceOptions.pollMs}. */
const DEFAULT_POLL_MS = 100;

/** Creates a {@link PauseFence} and starts its timer (it acknowledges even when no batch comes). */
export function createPauseFence(options: PauseFenceOptions): PauseFence {
  const { gate, logger, signal } = options;
  const pollMs = options.pollMs ?? DEFAULT_POLL_MS;
  let inFlight = 0;
  /** The request seen last; kept until a chunk passes again, so resuming is noticed once. */
  let pausedBy: PauseRequest | undefined;
  /** `request/member` acknowledged as paused: not written again while it holds. */
  let acknowledged: string | undefined;
  let acknowledging = false;

  function observe(): PauseRequest | undefined {
    const request = gate.current();
    if (request !== undefined && pausedBy?.id !== request.id) {
      logger.info({ request: request.id, by: request.by, leaseUntil: request.leaseUntil }, 'paused by request');
      pausedBy = request;
      acknowledged = undefined;
      options.onPausedChange?.(true);
    }
    return request;
  }

  /** Acknowledges the pause once nothing is in flight; a failed write is tried again on the next tick. */
  function acknowledgeIfIdle(): void {
    const request = observe();
    const member = options.member();
    if (request === undefined || inFlight > 0 || member === undefined || acknowledging) return;
    const key = `${request.id}/${member}`;
    if (acknowledged === key) return;
    acknowledging = true;
    gate
      .acknowledge({ request: request.id, member, state: 'paused' })
      .then(() => {
        acknowledged = key;
        logger.info({ request: request.id, member }, 'pause acknowledged: no chunk in flight');
      })
      .catch((error: unknown) =>
        logger.warn({ request: request.id, cause: describeError(error) }, 'pause acknowledgement failed; retrying'),
      )
      .finally(() => {
        acknowledging = false;
      });
  }

  function resume(): void {
    const ended = pausedBy;
    if (ended === undefined) return;
    pausedBy = undefined;
    acknowledged = undefined;
    options.onResume();
    options.onPausedChange?.(false);
    logger.info({ request: ended.id }, 'pause over (released or lapsed): consuming again');
    const member = options.member();
    if (member !== undefined)
      // Tells a requester that may still be waiting that this member's acknowledgement no longer holds.
      void gate
        .acknowledge({ request: ended.id, member, state: 'resumed' })
        .catch((error: unknown) =>
          logger.warn({ request: ended.id, cause: describeError(error) }, 'recording the resume failed'),
        );
  }

  const timer = setInterval(() => {
    if (signal.aborted) return clearInterval(timer);
    // An idle worker (no batch coming) must acknowledge, and notice the end of a pause, too.
    if (gate.current() === undefined) resume();
    else acknowledgeIfIdle();
  }, pollMs);
  timer.unref();

  return {
    async enter(keepGoing) {
      for (;;) {
        if (!keepGoing() || signal.aborted) return false;
        if (observe() === undefined) {
          resume();
          inFlight++; // synchronously after the check: no acknowledgement can slip in between
          return true;
        }
        acknowledgeIfIdle();
        await sleep(pollMs, signal);
      }
    },
    leave() {
      inFlight = Math.max(0, inFlight - 1);
      if (inFlight === 0) acknowledgeIfIdle();
    },
    reason() {
      const request = pausedBy;
      if (request === undefined || gate.current() === undefined) return undefined;
      return `paused by ${request.by} (request ${request.id}, lease until ${request.leaseUntil.toISOString()})`;
    },
    stop() {
      clearInterval(timer);
    },
  };
}
