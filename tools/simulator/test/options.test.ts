import { parseSimulatorArgs } from '../src/options';

describe('simulator options', () => {
  it('defaults to a live run at 500 events/s, and --once publishes as fast as possible', () => {
    const live = parseSimulatorArgs([], {});
    expect(live.command).toBe('run');
    expect(live.options).toMatchObject({
      rate: 500,
      once: false,
      live: true,
      partitions: undefined,
      metricsPorts: [9101, 9102, 9103],
    });
    const once = parseSimulatorArgs(['run', '--once', '--scale', '40', '--seed', '9'], {
      START_HTTP_PORT_BASE: '20000',
    });
    expect(once.options).toMatchObject({ rate: 0, once: true, metricsPorts: [20000, 20001, 20002] });
    expect(once.options.stream).toMatchObject({ seed: 9, users: 40, posts: 40, promotions: 10, orders: 40 });
  });

  it('refuses bad values with the usage', () => {
    expect(() => parseSimulatorArgs(['--rate', 'fast'], {})).toThrow(/--rate must be a number/);
    expect(() => parseSimulatorArgs(['explode'], {})).toThrow(/unknown command explode/);
  });
});
