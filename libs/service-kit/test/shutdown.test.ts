import { Writable } from 'node:stream';
import { createLogger, handleShutdownSignals } from '../src';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: createLogger({ name: 'test', level: 'info', destination }) };
}

describe('handleShutdownSignals', () => {
  it('stops once and exits 0 on the first signal, and exits 130 at once on a second', async () => {
    const { logger } = capture();
    const exits: number[] = [];
    let release!: () => void;
    const stop = jest.fn(() => new Promise<void>((resolve) => (release = resolve)));
    const dispose = handleShutdownSignals({
      logger,
      graceMs: 10_000,
      stop,
      exit: (code) => exits.push(code),
      signals: ['SIGUSR2'],
    });
    process.emit('SIGUSR2', 'SIGUSR2');
    process.emit('SIGUSR2', 'SIGUSR2');
    expect(exits).toEqual([130]);
    release();
    await new Promise((r) => setImmediate(r));
    expect(stop).toHaveBeenCalledTimes(1);
    expect(exits).toEqual([130, 0]);
    dispose();
  });

  it('exits 1 when stopping outlasts the grace period', async () => {
    const { logger, lines } = capture();
    const exits: number[] = [];
    const dispose = handleShutdownSignals({
      logger,
      graceMs: 20,
      stop: () => new Promise(() => undefined),
      exit: (code) => exits.push(code),
      signals: ['SIGUSR2'],
    });
    process.emit('SIGUSR2', 'SIGUSR2');
    await new Promise((r) => setTimeout(r, 100));
    expect(exits).toEqual([1]);
    expect(lines.some((l) => String(l['msg']).includes('grace period'))).toBe(true);
    dispose();
  });
});

describe('createLogger', () => {
  it('redacts secrets', () => {
    const { logger, lines } = capture();
    logger.info({ sasl: { username: 'u', password: 'p' }, config: { password: 'hunter2' } }, 'config');
    expect(JSON.stringify(lines[0])).not.toMatch(/hunter2|"p"/);
    expect(lines[0]).toMatchObject({ level: 'info', name: 'test', msg: 'config' });
  });
});
