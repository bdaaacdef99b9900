/** A heartbeat kept on a timer while a chunk is held. */
export interface HeartbeatKeeper {
  /** True once a heartbeat failed: the group is rebalancing or the member was fenced; the chunk must end. */
  readonly failed: () => boolean;
  stop(): void;
}

/**
 * kafkajs heartbeats only when `heartbeat()` is called, so a chunk held by a long
 * retry (a store outage with backoff) or a long store call would outlive the session
 * timeout and make the group rebalance again and again. This calls it on a timer
 * (kafkajs itself sends at most one per heartbeat interval) until stopped; its first
 * failure (a rebalance in progress, an unknown member) is reported once and ends it.
 */
export function keepHeartbeating(
  heartbeat: () => Promise<void>,
  intervalMs: number,
  onFailure: (error: unknown) => void,
): HeartbeatKeeper {
  let failed = false;
  let inFlight = false;
  const timer = setInterval(() => {
    if (inFlight || failed) return;
    inFlight = true;
    heartbeat()
      .catch((error: unknown) => {
        failed = true;
        clearInterval(timer);
        onFailure(error);
      })
      .finally(() => {
        inFlight = false;
      });
  }, intervalMs);
  timer.unref();
  return {
    failed: () => failed,
    stop: () => clearInterval(timer),
  };
}
