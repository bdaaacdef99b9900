import { createLogger } from '@sc/service-kit';
import { createPauseFence } from '../src';
import type { PauseAcknowledgement, PauseGate, PauseRequest } from '../src';

const logger = createLogger({ name: 'pause-fence-test', level: 'silent' });
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Waits until `check` holds (a busy machine may delay timers; the bound is generous). */
async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check() && waited < 10_000; waited += 5) await tick(5);
}

/** A gate the test sets by hand, recording acknowledgements. */
function fakeGate() {
  let request: PauseRequest | undefined;
  const acks: PauseAcknowledgement[] = [];
  let failAcks = 0;
  const gate: PauseGate = {
    current: () => request,
    acknowledge: async (ack) => {
      if (failAcks > 0) {
        failAcks--;
        throw new Error('store down');
      }
      acks.push(ack);
    },
  };
  return {
    gate,
    acks,
    pause: (id: string) => (request = { id, by: 'rebuild of x', leaseUntil: new Date(Date.now() + 60_000) }),
    release: () => (request = undefined),
    failNextAcks: (n: number) => (failAcks = n),
  };
}

describe('createPauseFence', () => {
  const make = (member: string | null = 'member-1') => {
    const control = fakeGate();
    const abort = new AbortController();
    const resets: number[] = [];
    const pausedStates: boolean[] = [];
    const fence = createPauseFence({
      gate: control.gate,
      member: () => member ?? undefined,
      logger,
      signal: abort.signal,
      onResume: () => resets.push(Date.now()),
      onPausedChange: (p) => pausedStates.push(p),
      pollMs: 5,
    });
    return { ...control, fence, abort, resets, pausedStates };
  };
  let stops: (() => void)[] = [];
  afterEach(() => {
    for (const stop of stops) stop();
    stops = [];
  });

  it('lets chunks through while no pause is asked for, acknowledging nothing', async () => {
    const { fence, acks, resets, abort } = make();
    stops.push(() => (fence.stop(), abort.abort()));
    expect(await fence.enter(() => true)).toBe(true);
    fence.leave();
    await tick(30);
    expect(acks).toEqual([]);
    expect(resets).toEqual([]);
    expect(fence.reason()).toBeUndefined();
  });

  it('holds the next chunk while paused, acknowledges only once the chunk in flight has left, and resumes with a reset', async () => {
    const t = make();
    stops.push(() => (t.fence.stop(), t.abort.abort()));
    expect(await t.fence.enter(() => true)).toBe(true); // a chunk in flight
    t.pause('req-1');
    let passed = false;
    const next = t.fence.enter(() => true).then((ok) => (passed = ok));
    await tick(40);
    expect(passed).toBe(false);
    expect(t.acks).toEqual([]); // the chunk in flight is not committed yet
    expect(t.fence.reason()).toMatch(/^paused by rebuild of x \(request req-1, lease until /);
    t.fence.leave();
    await until(() => t.acks.length > 0);
    expect(t.acks).toEqual([{ request: 'req-1', member: 'member-1', state: 'paused' }]);
    await tick(30);
    expect(t.acks).toHaveLength(1); // written once while it holds
    expect(passed).toBe(false);
    expect(t.resets).toEqual([]);
    t.release();
    await until(() => passed);
    expect(t.resets).toHaveLength(1); // the sink forgets its cache before the first chunk after the pause
    expect(t.pausedStates).toEqual([true, false]);
    await until(() => t.acks.length > 1);
    expect(t.acks[1]).toEqual({ request: 'req-1', member: 'member-1', state: 'resumed' });
    expect(t.fence.reason()).toBeUndefined();
    await next;
  });

  it('acknowledges while idle (no batch coming), and notices the end of the pause without a chunk', async () => {
    const t = make();
    stops.push(() => (t.fence.stop(), t.abort.abort()));
    t.pause('req-2');
    await until(() => t.acks.length > 0);
    expect(t.acks[0]).toEqual({ request: 'req-2', member: 'member-1', state: 'paused' });
    t.release(); // or its lease lapsed: the gate says no pause
    await until(() => t.resets.length > 0);
    expect(t.pausedStates).toEqual([true, false]);
  });

  it('acknowledges each new request again, and retries a failed acknowledgement', async () => {
    const t = make();
    stops.push(() => (t.fence.stop(), t.abort.abort()));
    t.failNextAcks(2);
    t.pause('req-3');
    await until(() => t.acks.length > 0);
    expect(t.acks).toEqual([{ request: 'req-3', member: 'member-1', state: 'paused' }]);
    t.pause('req-4');
    await until(() => t.acks.length > 1);
    expect(t.acks[1]).toEqual({ request: 'req-4', member: 'member-1', state: 'paused' });
  });

  it('does not acknowledge for a worker that is not a group member', async () => {
    const t = make(null);
    stops.push(() => (t.fence.stop(), t.abort.abort()));
    t.pause('req-5');
    await tick(40);
    expect(t.acks).toEqual([]);
  });

  it('ends the wait without letting the chunk through when the partition is revoked or the worker stops', async () => {
    const t = make();
    stops.push(() => (t.fence.stop(), t.abort.abort()));
    t.pause('req-6');
    let keep = true;
    const waiting = t.fence.enter(() => keep);
    await tick(20);
    keep = false;
    expect(await waiting).toBe(false);
    const stopped = t.fence.enter(() => true);
    t.abort.abort();
    expect(await stopped).toBe(false);
  });
});
