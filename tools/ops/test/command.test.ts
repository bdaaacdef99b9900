import { CommandInterrupted, cutOffWhenInterrupted, interruptedExitCode, throwIfInterrupted } from '../src/command';

describe('interrupting a command', () => {
  it('given a command still running, when the process is interrupted, then it is cut off at once with the signal', async () => {
    const interrupt = new AbortController();
    const cut = cutOffWhenInterrupted(new Promise<never>(() => undefined), interrupt.signal);
    interrupt.abort('SIGTERM');
    await expect(cut).rejects.toEqual(new CommandInterrupted('SIGTERM'));
  });

  it('given an interrupt that came first, then the command is cut off without waiting', async () => {
    const interrupt = new AbortController();
    interrupt.abort('SIGINT');
    await expect(cutOffWhenInterrupted(new Promise<never>(() => undefined), interrupt.signal)).rejects.toThrow(
      'interrupted by SIGINT',
    );
  });

  it('given no interrupt, then the command settles as it would have', async () => {
    const never = new AbortController().signal;
    await expect(cutOffWhenInterrupted(Promise.resolve(7), never)).resolves.toBe(7);
    await expect(cutOffWhenInterrupted(Promise.reject(new Error('failed')), never)).rejects.toThrow('failed');
  });

  it('given a command that checks, then it throws only once interrupted', () => {
    const interrupt = new AbortController();
    expect(() => throwIfInterrupted(interrupt.signal)).not.toThrow();
    expect(() => throwIfInterrupted(undefined)).not.toThrow();
    interrupt.abort('SIGTERM');
    expect(() => throwIfInterrupted(interrupt.signal)).toThrow(CommandInterrupted);
  });

  it('exits as a shell reports a signal: 128 + its number', () => {
    expect(interruptedExitCode('SIGINT')).toBe(130);
    expect(interruptedExitCode('SIGTERM')).toBe(143);
  });
});
