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
});

describe('sleep', () => {
  it('ends early when aborted', async () => {
    const abort = new AbortController();
    const started = Date.now();
    const sleeping = sleep(60_000, abort.signal);
    abort.abort();
    await sleeping;
    expect(Date.now() - started).toBeLessThan(60_000);
  });
});
