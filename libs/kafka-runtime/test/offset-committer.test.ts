import { KafkaJSNonRetriableError } from 'kafkajs';
import { createBackgroundCommits, createOffsetCommitter, rejoinableError } from '../src/offset-committer';
import type { PartitionOffset } from '../src/offset-committer';

/** A commit request the test settles by hand. */
interface Request {
  readonly offsets: readonly PartitionOffset[];
  succeed(): void;
  fail(error: Error): void;
}

function fakeBroker() {
  const requests: Request[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  const send = (offsets: readonly PartitionOffset[]): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      const settle = (fn: () => void) => () => {
        concurrent--;
        fn();
      };
      requests.push({ offsets, succeed: settle(resolve), fail: (error) => settle(() => reject(error))() });
    });
  return { requests, send, maxConcurrent: () => maxConcurrent };
}

const at = (partition: number, offset: number): PartitionOffset => ({ topic: 't', partition, offset: String(offset) });
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('offset committer', () => {
  it('given one offset asked for, when the broker accepts it, then the commit resolves', async () => {
    const broker = fakeBroker();
    const committer = createOffsetCommitter(broker.send);
    const committed = committer.commit(at(0, 10));
    expect(broker.requests.map((r) => r.offsets)).toEqual([[at(0, 10)]]);
    broker.requests[0]!.succeed();
    await expect(committed).resolves.toBeUndefined();
  });

  it('given a commit in flight, when more are asked for, then the next request carries the latest offset of each partition, after the first settles', async () => {
    const broker = fakeBroker();
    const committer = createOffsetCommitter(broker.send);
    const first = committer.commit(at(0, 10));
    const second = committer.commit(at(0, 20));
    const third = committer.commit(at(1, 5));
    const fourth = committer.commit(at(0, 30));
    expect(broker.requests).toHaveLength(1);
    broker.requests[0]!.succeed();
    await first;
    await flush();
    expect(broker.requests.map((r) => r.offsets)).toEqual([[at(0, 10)], [at(0, 30), at(1, 5)]]);
    broker.requests[1]!.succeed();
    await expect(Promise.all([second, third, fourth])).resolves.toHaveLength(3);
    expect(broker.maxConcurrent()).toBe(1);
  });

  it('given the broker refuses a request, when it fails, then its waiters reject with the error and later offsets still go out', async () => {
    const broker = fakeBroker();
    const committer = createOffsetCommitter(broker.send);
    const refused = committer.commit(at(0, 10));
    const later = committer.commit(at(1, 7));
    const error = new Error('REBALANCE_IN_PROGRESS');
    broker.requests[0]!.fail(error);
    await expect(refused).rejects.toBe(error);
    await flush();
    expect(broker.requests[1]!.offsets).toEqual([at(1, 7)]);
    broker.requests[1]!.succeed();
    await expect(later).resolves.toBeUndefined();
  });

  it('given commits in flight and queued, when settled() is awaited, then it resolves only after the last of them, failed or not', async () => {
    const broker = fakeBroker();
    const committer = createOffsetCommitter(broker.send);
    void committer.commit(at(0, 10)).catch(() => undefined);
    void committer.commit(at(0, 11)).catch(() => undefined);
    let settled = false;
    const waiting = committer.settled().then(() => {
      settled = true;
    });
    broker.requests[0]!.fail(new Error('broker gone'));
    await flush();
    expect(settled).toBe(false);
    broker.requests[1]!.succeed();
    await waiting;
    expect(settled).toBe(true);
    await expect(committer.settled()).resolves.toBeUndefined();
  });

  it('given a send that throws at once, when asked, then the commit rejects and the committer keeps working', async () => {
    let calls = 0;
    const committer = createOffsetCommitter(() => {
      calls++;
      if (calls === 1) throw new Error('not connected');
      return Promise.resolve();
    });
    await expect(committer.commit(at(0, 1))).rejects.toThrow('not connected');
    await expect(committer.commit(at(0, 2))).resolves.toBeUndefined();
  });
});

// The broker's error codes become errors exactly as kafkajs makes them.
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as {
  createErrorFromCode: (code: number) => Error & { type: string };
};
/** What kafkajs's retrier throws for a non-retriable error (its types declare one argument; kafkajs passes two). */
const retrierWrapped = (error: Error): Error =>
  Reflect.construct(KafkaJSNonRetriableError, [error, { cause: error }]) as Error;
const ILLEGAL_GENERATION = 22;
const UNKNOWN_MEMBER_ID = 25;
const REBALANCE_IN_PROGRESS = 27;
const NOT_LEADER_FOR_PARTITION = 6;

describe('rejoinableError', () => {
  it.each([ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS])(
    'given Kafka’s error %i wrapped by kafkajs’s retrier, then the error kafkajs rejoins on, by its type',
    (code) => {
      const refusal = createErrorFromCode(code);
      const wrapped = retrierWrapped(refusal);
      expect(wrapped).not.toHaveProperty('type');
      expect(rejoinableError(wrapped)).toBe(refusal);
    },
  );

  it('given another failure, then the failure as it is', () => {
    const other = createErrorFromCode(NOT_LEADER_FOR_PARTITION);
    const wrapped = retrierWrapped(other);
    const plain = new Error('broker gone');
    expect([rejoinableError(wrapped), rejoinableError(plain)]).toEqual([wrapped, plain]);
  });
});

describe('background commits', () => {
  const setUp = () => {
    const broker = fakeBroker();
    const heard: PartitionOffset[] = [];
    const commits = createBackgroundCommits(broker.send, (offset) => void heard.push(offset));
    return { broker, heard, commits };
  };

  it('given a commit that fails in the same group generation, when the next chunk starts, then its error is thrown once', async () => {
    const { broker, heard, commits } = setUp();
    const error = new Error('broker gone');
    const settled = commits.commit(at(2, 40));
    broker.requests[0]!.fail(error);
    await expect(settled).resolves.toBeUndefined();
    expect(heard).toEqual([at(2, 40)]);
    expect(() => commits.throwIfFailed()).toThrow(error);
    expect(() => commits.throwIfFailed()).not.toThrow();
  });

  it('given a commit refused because the group moved on, wrapped by kafkajs’s retrier, when the next chunk starts, then the refusal itself is thrown (kafkajs rejoins on its type instead of crashing)', async () => {
    const { broker, commits } = setUp();
    const refusal = createErrorFromCode(ILLEGAL_GENERATION);
    const settled = commits.commit(at(0, 9));
    broker.requests[0]!.fail(retrierWrapped(refusal));
    await settled;
    // The very error, not one with its message: kafkajs's wrapper has the same message and no `type`.
    let thrown: unknown;
    try {
      commits.throwIfFailed();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBe(refusal);
    expect(thrown).toHaveProperty('type', 'ILLEGAL_GENERATION');
  });

  it('given a commit that succeeds, when the next chunk starts, then nothing is thrown', async () => {
    const { broker, heard, commits } = setUp();
    const settled = commits.commit(at(0, 1));
    broker.requests[0]!.succeed();
    await settled;
    expect(() => commits.throwIfFailed()).not.toThrow();
    expect(heard).toEqual([]);
  });

  it('given a join while a commit is in flight, when it then fails, then the failure does not count (the join read the committed offsets)', async () => {
    const { broker, heard, commits } = setUp();
    const settled = commits.commit(at(0, 9));
    commits.joined();
    broker.requests[0]!.fail(new Error('ILLEGAL_GENERATION'));
    await settled;
    expect(heard).toEqual([]);
    expect(() => commits.throwIfFailed()).not.toThrow();
  });

  it('given a failed commit, when the consumer joins again before the next chunk, then nothing is thrown', async () => {
    const { broker, commits } = setUp();
    const settled = commits.commit(at(0, 9));
    broker.requests[0]!.fail(new Error('REBALANCE_IN_PROGRESS'));
    await settled;
    commits.joined();
    expect(() => commits.throwIfFailed()).not.toThrow();
  });

  it('given commits in flight, when settled() is awaited, then it waits for them', async () => {
    const { broker, commits } = setUp();
    void commits.commit(at(0, 3));
    let settled = false;
    const waiting = commits.settled().then(() => {
      settled = true;
    });
    await flush();
    expect(settled).toBe(false);
    broker.requests[0]!.succeed();
    await waiting;
    expect(settled).toBe(true);
  });
});
