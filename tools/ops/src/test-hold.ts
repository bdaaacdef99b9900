// A test hook of the CLI as a process: with OPS_TEST_HOLD_AT=<point>[:<n>] set, the
// n-th time (default the first) a rebuild or a replay reaches <point>, the CLI prints
// `ops: test hold at <point>` on stderr and waits there until it is killed, or until
// the process is interrupted (SIGTERM, SIGINT), when it goes on. The crash tests SIGKILL
// the real CLI at a known stage that way, and the interrupt tests signal it there,
// without racing timers or parsing progress. Without the variable (always, in
// production) it does nothing.

/** The variable that arms the hold. */
export const TEST_HOLD_VARIABLE = 'OPS_TEST_HOLD_AT';

/** The line the CLI prints on stderr when it holds at `point`. */
export function testHoldLine(point: string): string {
  return `ops: test hold at ${point}`;
}

/** Called at each named point; resolves at once unless the hold is armed for that point and count. */
export type TestHold = (point: string) => Promise<void>;

/**
 * The hold OPS_TEST_HOLD_AT arms, or `undefined` when it is unset (callers then pass
 * no hook at all). At its point it resolves only once `interrupt` aborts; until then
 * a timer keeps the process alive for the test to kill or signal it.
 */
export function testHoldFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  stderr: { write(text: string): unknown },
  interrupt?: AbortSignal,
): TestHold | undefined {
  const armed = env[TEST_HOLD_VARIABLE];
  if (armed === undefined || armed === '') return undefined;
  const [point, count] = armed.split(':');
  const nth = count === undefined ? 1 : Number(count);
  let reached = 0;
  return async (at) => {
    if (at !== point || ++reached !== nth) return;
    stderr.write(`${testHoldLine(at)}\n`);
    // An interrupt that came before the point lets it pass too: nothing would wake it.
    if (interrupt?.aborted) return;
    await new Promise<void>((resolve) => {
      const alive = setInterval(() => undefined, 60_000);
      interrupt?.addEventListener(
        'abort',
        () => {
          clearInterval(alive);
          resolve();
        },
        { once: true },
      );
    });
  };
}
