import { keepHeartbeating } from '../src';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits until `check` holds (a busy machine may delay timers; the bound is generous). */
async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check() && waited < 10_000; waited += 5) await tick(5);
}

describe('keepHeartbeating', () => {
  it('heartbeats on a timer while a chunk is held, and not after it is stopped', async () => {
    let beats = 0;
    const keeper = keepHeartbeating(
      async () => void beats++,
      5,
      () => undefined,
    );
    await until(() => beats >= 3);
    keeper.stop();
    const atStop = beats;
    await tick(30);
    expect(atStop).toBeGreaterThanOrEqual(3);
    expect(beats).toBe(atStop);
    expect(keeper.failed()).toBe(false);
  });

  it('reports the first refused heartbeat (a rebalance) once, and stops there', async () => {
    const failures: unknown[] = [];
    let beats = 0;
    const keeper = keepHeartbeating(
      async () => {
        beats++;
        throw new Error('The group is rebalancing, so a rejoin is needed');
      },
      5,
      (e) => failures.push(e),
    );
    await until(() => keeper.failed());
    await tick(30);
    expect(keeper.failed()).toBe(true);
    expect(failures).toHaveLength(1);
    expect(beats).toBe(1);
    keeper.stop();
  });
});
