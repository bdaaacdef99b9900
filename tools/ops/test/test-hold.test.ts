import { ConfigError } from '@sc/service-kit';
import { pauseLeaseFromEnv } from '../src/rebuild';
import { TEST_HOLD_VARIABLE, testHoldFromEnv } from '../src/test-hold';

describe('testHoldFromEnv', () => {
  it('given no OPS_TEST_HOLD_AT, when asked for the hold, then there is none: production runs no hook at all', () => {
    expect(testHoldFromEnv({}, { write: () => true })).toBeUndefined();
    expect(testHoldFromEnv({ [TEST_HOLD_VARIABLE]: '' }, { write: () => true })).toBeUndefined();
  });

  it('given a hold armed for the second "replay-applied", when other points and the first one pass, then they go on at once and print nothing', async () => {
    const printed: string[] = [];
    const hold = testHoldFromEnv(
      { [TEST_HOLD_VARIABLE]: 'replay-applied:2' },
      { write: (t: string) => printed.push(t) },
    );
    await hold!('paused');
    await hold!('replay-applied');
    await hold!('building');
    expect(printed).toEqual([]);
  });

  it('given a hold reached, when the process is interrupted, then it prints its line, waits, and goes on once interrupted', async () => {
    const printed: string[] = [];
    const interrupt = new AbortController();
    const hold = testHoldFromEnv(
      { [TEST_HOLD_VARIABLE]: 'verify-fold' },
      { write: (t: string) => printed.push(t) },
      interrupt.signal,
    );
    let released = false;
    const held = hold!('verify-fold').then(() => (released = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(printed).toEqual(['ops: test hold at verify-fold\n']);
    expect(released).toBe(false);
    interrupt.abort('SIGTERM');
    await held;
    expect(released).toBe(true);
  });

  it('given an interrupt that came before the point, when the point is reached, then it prints its line and goes on', async () => {
    const printed: string[] = [];
    const interrupt = new AbortController();
    interrupt.abort('SIGINT');
    const hold = testHoldFromEnv(
      { [TEST_HOLD_VARIABLE]: 'verify-fold' },
      { write: (t: string) => printed.push(t) },
      interrupt.signal,
    );
    await hold!('verify-fold');
    expect(printed).toEqual(['ops: test hold at verify-fold\n']);
  });
});

describe('pauseLeaseFromEnv', () => {
  it('given OPS_PAUSE_LEASE_MS, when read, then a whole number of at least 1000 ms is taken and anything else is a configuration error', () => {
    expect(pauseLeaseFromEnv({})).toBeUndefined();
    expect(pauseLeaseFromEnv({ OPS_PAUSE_LEASE_MS: '3000' })).toBe(3000);
    for (const bad of ['999', '2.5s', '-1'])
      expect(() => pauseLeaseFromEnv({ OPS_PAUSE_LEASE_MS: bad })).toThrow(ConfigError);
    expect(() => pauseLeaseFromEnv({ OPS_PAUSE_LEASE_MS: '10' })).toThrow(
      /OPS_PAUSE_LEASE_MS: a whole number of milliseconds ≥ 1000 \(got "10"\)/,
    );
  });
});
