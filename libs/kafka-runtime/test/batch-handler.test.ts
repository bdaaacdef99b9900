import { createLogger } from '@sc/service-kit';
import { createBatchHandler } from '../src/batch-handler';
import type { BatchPayload } from '../src/batch-handler';
import type { ChunkProcessor, ChunkResult } from '../src/chunk-processor';
import type { ChunkRecord } from '../src/chunk';
import { createWorkerMetrics, sumMetricSamples } from '../src/metrics';
import { createBackgroundCommits } from '../src/offset-committer';
import type { PartitionOffset } from '../src/offset-committer';
import { createPauseFence } from '../src/pause-fence';
import type { PauseAcknowledgement, PauseRequest } from '../src/pause-gate';

const logger = createLogger({ name: 'batch-handler-test', level: 'silent' });
const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check() && waited < 10_000; waited += 5) await tick(5);
}

const NOW = 1_000_000;
const record = (offset: number): ChunkRecord & { timestamp: string } => ({
  offset: String(offset),
  key: Buffer.from('usr_1'),
  value: Buffer.from('{}'),
  timestamp: String(NOW - 50),
});

/** Commit requests the test settles by hand, as the group coordinator would. */
function fakeCoordinator() {
  const requests: { offsets: readonly PartitionOffset[]; succeed(): void; fail(error: Error): void }[] = [];
  const committed: PartitionOffset[] = [];
  const send = (offsets: readonly PartitionOffset[]) =>
    new Promise<void>((resolve, reject) =>
      requests.push({
        offsets,
        succeed: () => {
          committed.push(...offsets);
          resolve();
        },
        fail: reject,
      }),
    );
  return { requests, committed, send };
}

function setUp(
  options: { chunkSize?: number; paused?: () => PauseRequest | undefined; slowChunk?: Promise<void> } = {},
) {
  const coordinator = fakeCoordinator();
  const commits = createBackgroundCommits(coordinator.send, () => undefined);
  const processed: string[][] = [];
  let result: ChunkResult = { status: 'done', verdicts: [], storeAttempts: 1 };
  const chunks: ChunkProcessor = {
    process: async (records) => {
      processed.push(records.map((r) => r.offset));
      await options.slowChunk;
      return result;
    },
  };
  const acks: PauseAcknowledgement[] = [];
  const abort = new AbortController();
  const fence = options.paused
    ? createPauseFence({
        gate: { current: options.paused, acknowledge: async (ack) => void acks.push(ack) },
        member: () => 'member-1',
        logger,
        signal: abort.signal,
        onResume: () => undefined,
        pollMs: 5,
      })
    : undefined;
  let stopping = false;
  const metrics = createWorkerMetrics('user_cards');
  const handler = createBatchHandler({
    chunks,
    commits,
    fence: () => fence,
    chunkSize: options.chunkSize ?? 500,
    heartbeatIntervalMs: 60_000,
    logicalTopic: (physical) => physical.replace(/^t\./, ''),
    stopping: () => stopping,
    metrics,
    logger,
    now: () => NOW,
  });
  const resolved: string[] = [];
  const payload = (offsets: number[]): BatchPayload =>
    ({
      batch: { topic: 't.sc.user.events', partition: 3, highWatermark: '100', messages: offsets.map(record) },
      resolveOffset: (offset: string) => void resolved.push(offset),
      heartbeat: async () => undefined,
      isRunning: () => true,
      isStale: () => false,
    }) as unknown as BatchPayload;
  return {
    coordinator,
    commits,
    processed,
    resolved,
    acks,
    metrics,
    handle: (p: BatchPayload) => handler.handle(p),
    idle: () => handler.idle(),
    payload,
    stop: () => (stopping = true),
    stopChunks: () => (result = { status: 'stopped' }),
    close: () => abort.abort(),
  };
}

const at = (offset: number): PartitionOffset => ({ topic: 't.sc.user.events', partition: 3, offset: String(offset) });

describe('batch handler', () => {
  it('given a batch of two chunks, when handled, then each is processed, resolved once durable, and the offset after it committed in the background', async () => {
    const t = setUp({ chunkSize: 2 });
    await t.handle(t.payload([10, 11, 12, 13]));
    // The handler did not wait for the commits: they are still in flight, the first one sent.
    expect(t.processed).toEqual([
      ['10', '11'],
      ['12', '13'],
    ]);
    expect(t.resolved).toEqual(['11', '13']);
    expect(t.coordinator.requests.map((r) => r.offsets)).toEqual([[at(12)]]);
    t.coordinator.requests[0]!.succeed();
    await until(() => t.coordinator.requests.length === 2);
    t.coordinator.requests[1]!.succeed();
    await t.commits.settled();
    expect(t.coordinator.committed).toEqual([at(12), at(14)]);
    const text = await t.metrics.registry.metrics();
    expect(sumMetricSamples(text, 'sc_projection_record_age_seconds_count')).toBe(4);
    expect(sumMetricSamples(text, 'sc_projection_record_age_seconds_sum')).toBeCloseTo(0.2);
  });

  it("given a commit that failed, when the next batch comes, then kafkajs's error is thrown before anything of it is processed (kafkajs rejoins from the committed offsets)", async () => {
    const t = setUp();
    await t.handle(t.payload([10]));
    const refused = Object.assign(new Error('The coordinator is loading'), { type: 'COORDINATOR_LOAD_IN_PROGRESS' });
    t.coordinator.requests[0]!.fail(refused);
    await t.commits.settled();
    await expect(t.handle(t.payload([11, 12]))).rejects.toBe(refused);
    expect(t.processed).toEqual([['10']]);
    expect(t.resolved).toEqual(['10']);
    // Thrown once: after the rejoin the records come again and go through.
    await t.handle(t.payload([11, 12]));
    expect(t.processed).toEqual([['10'], ['11', '12']]);
  });

  it('given a failed commit and a rejoin since, when the next batch comes, then it is processed (the join read the committed offsets)', async () => {
    const t = setUp();
    await t.handle(t.payload([10]));
    t.coordinator.requests[0]!.fail(new Error('REBALANCE_IN_PROGRESS'));
    await t.commits.settled();
    t.commits.joined();
    await t.handle(t.payload([10]));
    expect(t.processed).toEqual([['10'], ['10']]);
  });

  it('given a pause requested while a chunk commit is in flight, when the chunk is done, then the pause is acknowledged only after the commit settled', async () => {
    const pause: { request?: PauseRequest } = {};
    const t = setUp({ paused: () => pause.request });
    await t.handle(t.payload([10]));
    pause.request = { id: 'r1', by: 'rebuild of user_cards', leaseUntil: new Date(Date.now() + 60_000) };
    await tick(50);
    expect(t.acks).toEqual([]);
    t.coordinator.requests[0]!.succeed();
    await until(() => t.acks.length > 0);
    expect(t.coordinator.committed).toEqual([at(11)]);
    expect(t.acks).toEqual([{ request: 'r1', member: 'member-1', state: 'paused' }]);
    t.close();
  });

  it('given the worker stopping during a batch, when the handler returns, then its commits have landed', async () => {
    const t = setUp({ chunkSize: 1 });
    let returned = false;
    const handled = t
      .handle({
        ...t.payload([10, 11]),
        isRunning: () => {
          // The first chunk has been asked for; the worker is told to stop before the second.
          if (t.processed.length === 1) t.stop();
          return true;
        },
      })
      .then(() => (returned = true));
    await until(() => t.coordinator.requests.length === 1);
    await tick(20);
    expect(returned).toBe(false);
    t.coordinator.requests[0]!.succeed();
    await handled;
    expect(t.processed).toEqual([['10']]);
    expect(t.coordinator.committed).toEqual([at(11)]);
  });

  it('given a chunk in flight when the worker is told to stop, when it waits for idle(), then it resumes only once the handler returned with the commit asked for', async () => {
    let finishChunk = (): void => undefined;
    const t = setUp({ slowChunk: new Promise<void>((resolve) => (finishChunk = resolve)) });
    const handled = t.handle(t.payload([10]));
    await until(() => t.processed.length === 1);
    let idle = false;
    const waiting = t.idle().then(() => (idle = true));
    await tick(20);
    expect(idle).toBe(false);
    t.stop();
    finishChunk();
    // The handler waits for its commit (it is stopping); idle() follows it.
    await until(() => t.coordinator.requests.length === 1);
    t.coordinator.requests[0]!.succeed();
    await handled;
    await waiting;
    expect(t.coordinator.committed).toEqual([at(11)]);
    await expect(t.idle()).resolves.toBeUndefined();
  });

  it('given a chunk the store stopped (the partition went), when handled, then nothing is resolved or committed', async () => {
    const t = setUp();
    t.stopChunks();
    await t.handle(t.payload([10, 11]));
    expect(t.processed).toEqual([['10', '11']]);
    expect(t.resolved).toEqual([]);
    expect(t.coordinator.requests).toEqual([]);
  });
});
