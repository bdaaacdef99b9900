import { backoffDelay, sleep } from '../src';

describe('backoffDelay', () => {
  const policy = { initialMs: 100, maxMs: 5000 };

  it('grows exponentially between half and all of the ceiling', () => {
    expect(backoffDelay(1, policy, () => 0)).toBe(50);
    expect(backoffDelay(1, policy, () => 1)).toBe(100);
    expect(backoffDelay(4, policy, () => 0)).toBe(400);
    expect(backoffDelay(4, policy, () => 1)).toBe(800);
  });

  it('never exceeds the maximum, however many attempts', () => {
    expect(backoffDelay(1000, policy, () => 1)).toBe(5000);
    expect(backoffDelay(1000, policy, () => 0)).toBe(2500);
  });

  it('stays within [ceiling / 2, ceiling] for every attempt and every random draw, spread by the draw', () => {
    // The ceiling doubles from initialMs (attempts 0 and 1) up to maxMs.
    const ceilings = [100, 100, 200, 400, 800, 1600, 3200, 5000];
    const draws = [0, 0.001, 0.25, 0.5, 0.75, 0.999, 1];
    for (let attempt = 0; attempt <= 40; attempt++) {
      const ceiling = ceilings[attempt] ?? 5000;
      const delays = draws.map((draw) => backoffDelay(attempt, policy, () => draw));
      for (const delay of delays) {
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
      expect(delays).toEqual([...delays].sort((a, b) => a - b));
      expect([delays[0], delays.at(-1)]).toEqual([ceiling / 2, ceiling]);
    }
  });

  it('uses Math.random when no random is given', () => {
    const random = jest.spyOn(Math, 'random').mockReturnValue(0.5);
    try {
      expect(backoffDelay(3, policy)).toBe(300);
      expect(random).toHaveBeenCalledTimes(1);
    } finally {
      random.mockRestore();
    }
  });
});

describe('sleep', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Whether `promise` has settled, once pending callbacks have run. */
  async function settled(promise: Promise<void>): Promise<boolean> {
    let done = false;
    void promise.then(() => (done = true));
    await Promise.resolve();
    await Promise.resolve();
    return done;
  }

  it('resolves after its delay, not before', async () => {
    const sleeping = sleep(60_000);
    await jest.advanceTimersByTimeAsync(59_999);
    expect(await settled(sleeping)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settled(sleeping)).toBe(true);
  });

  it('ends early when aborted, at once and without a timer left behind', async () => {
    const abort = new AbortController();
    const sleeping = sleep(60_000, abort.signal);
    expect(await settled(sleeping)).toBe(false);
    expect(jest.getTimerCount()).toBe(1);
    abort.abort();
    // No time passes on the fake clock: only the abort can have ended it.
    expect(await settled(sleeping)).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('does not start when already aborted', async () => {
    const abort = new AbortController();
    abort.abort();
    const sleeping = sleep(60_000, abort.signal);
    expect(jest.getTimerCount()).toBe(0);
    expect(await settled(sleeping)).toBe(true);
  });
});
