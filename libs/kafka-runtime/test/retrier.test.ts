import { ProjectionError, createLogger } from '@sc/service-kit';
import { createRetrier } from '../src';

const logger = createLogger({ name: 'retrier-test', level: 'silent' });
const unavailable = () => new ProjectionError('KAFKA_UNAVAILABLE', 'broker down', { retriable: true });
const refused = () => new ProjectionError('DEAD_LETTER_REFUSED', 'too large', { retriable: false });

describe('createRetrier', () => {
  const make = (holdsOn?: (e: unknown) => string | undefined) => {
    const abort = new AbortController();
    const retries: string[] = [];
    const retrier = createRetrier({
      policy: { initialMs: 1, maxMs: 2 },
      logger,
      signal: abort.signal,
      onRetry: (op) => retries.push(op),
      ...(holdsOn && { holdsOn }),
    });
    return { retrier, abort, retries };
  };

  it('retries retriable errors until the operation succeeds, counting attempts and retries', async () => {
    const { retrier, retries } = make();
    let calls = 0;
    const result = await retrier.run('write', 'p/0', async () => {
      if (++calls < 3) throw unavailable();
      return 'ok';
    });
    expect(result).toEqual({ status: 'done', value: 'ok', attempts: 3 });
    expect(retries).toEqual(['write', 'write']);
    expect(retrier.reasons()).toEqual([]);
  });

  it('says why it is held up while an operation fails, and forgets it once the run ends', async () => {
    const { retrier } = make();
    let seen: string[] = [];
    let calls = 0;
    await retrier.run('write to store', 'p/0', async () => {
      if (++calls === 2) seen = retrier.reasons();
      if (calls < 2) throw unavailable();
    });
    expect(seen).toEqual([expect.stringContaining('p/0: write to store failing (attempt 1)')]);
    expect(retrier.reasons()).toEqual([]);
  });

  it('returns an explicit stopped result when told to stop, and keeps no stale reason (readiness recovers)', async () => {
    const { retrier } = make();
    let keep = true;
    const result = await retrier.run(
      'write',
      'p/1',
      async () => {
        keep = false;
        throw unavailable();
      },
      { keepGoing: () => keep },
    );
    expect(result).toEqual({ status: 'stopped' });
    expect(retrier.reasons()).toEqual([]);
  });

  it('throws a non-retriable error at once, and keeps no reason for it', async () => {
    const { retrier } = make();
    await expect(retrier.run('write', 'p/2', () => Promise.reject(refused()))).rejects.toMatchObject({
      code: 'DEAD_LETTER_REFUSED',
    });
    expect(retrier.reasons()).toEqual([]);
  });

  it('holds a refusal an operator must fix, with the action as the reason, until it passes', async () => {
    const { retrier } = make((e) =>
      e instanceof ProjectionError && e.code === 'DEAD_LETTER_REFUSED' ? 'raise max.message.bytes' : undefined,
    );
    let seen: string[] = [];
    let calls = 0;
    const result = await retrier.run('send to dead-letter topic', 'p/3', async () => {
      if (++calls === 3) seen = retrier.reasons();
      if (calls < 3) throw refused();
      return 1;
    });
    expect(result).toMatchObject({ status: 'done', attempts: 3 });
    expect(seen).toEqual(['p/3: send to dead-letter topic blocked: raise max.message.bytes']);
  });

  it('ends a wait at once on shutdown', async () => {
    const { retrier, abort } = make();
    const running = retrier.run('write', 'p/4', () => {
      abort.abort();
      return Promise.reject(unavailable());
    });
    await expect(running).resolves.toEqual({ status: 'stopped' });
  });
});
