import { createRequire } from 'node:module';

/** The parts of kafkajs's internal per-connection request queue the fix touches. */
interface RequestQueueInternals {
  readonly pending: readonly unknown[];
  scheduleCheckPendingRequests(this: RequestQueueInternals): void;
}
type RequestQueueClass = { prototype: RequestQueueInternals };

/** The kafkajs releases whose request queue has the loop below. */
const RELEASES_WITH_THE_LOOP: readonly string[] = ['2.2.4'];
const FIXED = Symbol.for('sc.kafkajs.request-queue.idle-loop-fixed');

/** What {@link fixKafkaJsIdleLoop} did. */
export type IdleLoopFix = 'fixed' | 'already fixed' | 'not this release';

/**
 * Stops kafkajs 2.2.4 from waking the process every millisecond on every broker
 * connection. Once any request has completed, its request queue re-arms a timer
 * of a negative delay (1 ms) for "pending requests" even when none are queued,
 * forever (tulios/kafkajs#1556; the proposed fix, #1667, was never released).
 * Measured on the development machine: an idle worker's main thread woke ~1,700
 * times a second and used ~5% of a core. After the fix the queue only arms a
 * timer while requests wait, as the original does then (throttling or too many
 * in flight); a request that does not wait is sent at once, as before.
 *
 * Idempotent; patches only the releases known to have the loop, so an upgrade
 * leaves the new code alone (and the unit test says so).
 */
export function fixKafkaJsIdleLoop(): IdleLoopFix {
  const load = createRequire(require.resolve('kafkajs'));
  const { version } = load('./package.json') as { version: string };
  if (!RELEASES_WITH_THE_LOOP.includes(version)) return 'not this release';
  const RequestQueue = load('./src/network/requestQueue/index.js') as RequestQueueClass;
  const prototype = RequestQueue.prototype as RequestQueueInternals & { [FIXED]?: true };
  if (prototype[FIXED]) return 'already fixed';
  const schedule = prototype.scheduleCheckPendingRequests;
  prototype.scheduleCheckPendingRequests = function scheduleOnlyForWaitingRequests(this: RequestQueueInternals) {
    if (this.pending.length > 0) schedule.call(this);
  };
  prototype[FIXED] = true;
  return 'fixed';
}
