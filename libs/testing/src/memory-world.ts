import type { Message } from 'kafkajs';
import { DEAD_LETTER_HEADERS } from '@sc/event-schemas';
import type { DomainEvent } from '@sc/event-schemas';
import { createChunkProcessor, createRetrier } from '@sc/kafka-runtime';
import type { ChunkRecord, ChunkResult } from '@sc/kafka-runtime';
import { POSITION_FIELD } from '@sc/projection-core';
import type { ProjectionDefinition, VersionStamp, WorkerDescriptor } from '@sc/projection-core';
import { createLogger } from '@sc/service-kit';
import { createRandom, generateStream } from '@sc/event-simulator';
import type { SimulatedRecord, StreamOptions } from '@sc/event-simulator';
import { DEFAULT_STREAM, expectedDocumentsOf } from './end-to-end';
import { createMemorySink } from './memory-sink';
import type { MemorySink } from './memory-sink';

/** Where a simulated crash stops the process during a chunk. */
export type CrashPoint = 'after the dead letter' | 'after the write' | 'before the commit';

/** Every place of a chunk where a crash is simulated. */
export const CRASH_POINTS: readonly CrashPoint[] = ['after the dead letter', 'after the write', 'before the commit'];

/** A projection's runtime in memory: the real chunk processor, an in-memory store and dead-letter topic. */
export interface MemoryWorld<TEvent extends DomainEvent, TDoc extends VersionStamp> {
  readonly sink: MemorySink<TEvent, TDoc>;
  /** Every dead letter produced, duplicates included (the topic outlives the process). */
  readonly deadLetters: Message[];
  /**
   * Delivers one partition's records to a new process; with `crash`, that process
   * dies at that point (the chunk ends without a commit). Returns what it reported.
   */
  deliver(records: readonly ChunkRecord[], crash?: CrashPoint, topic?: string): Promise<ChunkResult>;
  /** The dead-letter topic as a sorted set of `topic/offset reason` (duplicates folded). */
  deadLetterSet(): string[];
}

/** Creates a {@link MemoryWorld}: one partition of `defaultTopic` (or of the topic each delivery names). */
export function createMemoryWorld<TEvent extends DomainEvent, TDoc extends VersionStamp>(
  projection: ProjectionDefinition<TEvent, TDoc>,
  defaultTopic: string,
): MemoryWorld<TEvent, TDoc> {
  const sink = createMemorySink(projection);
  const deadLetters: Message[] = [];
  const logger = createLogger({ name: 'memory-world', level: 'silent' });
  return {
    sink,
    deadLetters,
    async deliver(records, crash, topic = defaultTopic) {
      // A process that died does nothing more: every wait of the retrier then ends it as stopped.
      let dead = false;
      const die = (): never => {
        dead = true;
        throw new Error(`simulated crash ${crash ?? ''}`);
      };
      sink.afterWrite = crash === 'after the write' ? die : undefined;
      const processor = createChunkProcessor<TEvent>({
        sink,
        deadLetters: {
          send: async (_topic, messages) => {
            deadLetters.push(...messages);
            if (crash === 'after the dead letter') die();
          },
        },
        deadLetterTopic: `dlq.${topic}`,
        consumerGroup: 'memory-world',
        maxDeadLetterBatchBytes: 1_048_576,
        retrier: createRetrier({
          policy: { initialMs: 1, maxMs: 1 },
          logger,
          signal: new AbortController().signal,
        }),
        logger,
      });
      const result = await processor.process(records, {
        topic,
        logicalTopic: topic,
        partition: 0,
        keepGoing: () => !dead,
      });
      // Done, and the process dies before it commits: the records come again.
      if (crash === 'before the commit' && result.status === 'done') return { status: 'stopped' };
      return result;
    },
    deadLetterSet() {
      const set = new Set(
        deadLetters.map(
          (m) =>
            `${String(m.headers?.[DEAD_LETTER_HEADERS.originalTopic])}/${String(m.headers?.[DEAD_LETTER_HEADERS.originalOffset])} ${String(m.headers?.[DEAD_LETTER_HEADERS.reason])}`,
        ),
      );
      return [...set].sort();
    },
  };
}

/** Options of {@link foldStreamInMemory}. */
export interface StreamFoldOptions {
  readonly chunkSize: number;
  /** Share of chunks whose first delivery crashes (at a point drawn from {@link CRASH_POINTS}). */
  readonly crashRate: number;
  readonly seed: number;
}

/**
 * Runs a simulated stream through a projection's real chunk processor and an
 * in-memory store, one partition per topic, in chunks; a share of the chunks
 * crashes at a random point and is delivered again, as Kafka does after a crash.
 * Returns the world and the dead-letter set the stream's poison records must give.
 */
export async function foldStreamInMemory<TEvent extends DomainEvent, TDoc extends VersionStamp>(
  projection: ProjectionDefinition<TEvent, TDoc>,
  records: readonly SimulatedRecord[],
  options: StreamFoldOptions,
): Promise<{
  readonly world: MemoryWorld<TEvent, TDoc>;
  readonly expectedDeadLetters: string[];
  readonly crashes: number;
}> {
  const topics = [...new Set(records.map((r) => r.topic))];
  const world = createMemoryWorld(projection, topics[0] ?? 'none');
  const random = createRandom(options.seed);
  const expectedDeadLetters: string[] = [];
  let crashes = 0;
  for (const topic of topics) {
    const partition = records.filter((r) => r.topic === topic);
    const chunkRecords: ChunkRecord[] = partition.map((r, offset) => ({
      offset: String(offset),
      key: r.key === null ? null : Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
    }));
    partition.forEach((r, offset) => {
      if (r.kind === 'poison') expectedDeadLetters.push(`${topic}/${offset} ${r.expectedReason}`);
    });
    for (let start = 0; start < chunkRecords.length; start += options.chunkSize) {
      const chunk = chunkRecords.slice(start, start + options.chunkSize);
      if (random.chance(options.crashRate)) {
        crashes++;
        await world.deliver(chunk, random.pick(CRASH_POINTS), topic);
      }
      const result = await world.deliver(chunk, undefined, topic);
      if (result.status !== 'done') throw new Error(`chunk at ${topic}/${start} did not complete: ${result.status}`);
    }
  }
  return { world, expectedDeadLetters: expectedDeadLetters.sort(), crashes };
}

/** Documents as comparable values: without the position, in a stable order. */
export function comparableDocuments(documents: Iterable<object>): unknown[] {
  return [...documents]
    .map((doc) => Object.fromEntries(Object.entries(doc).filter(([field]) => field !== POSITION_FIELD)))
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

/**
 * The drift check that needs no Kafka: the simulator's stream for the worker's topics, folded
 * through the projection's chunk processor in memory (calm, and with crashes at
 * random points and redeliveries), must give exactly the simulator's expected
 * documents and one dead letter per poison record.
 */
export function describeStreamFold(worker: WorkerDescriptor, size: Partial<StreamOptions>): void {
  const projection = worker.projection as ProjectionDefinition<DomainEvent, VersionStamp>;
  describe(`the simulated stream folded through ${projection.name} in memory`, () => {
    const stream = generateStream({
      seed: 11,
      ...DEFAULT_STREAM,
      users: 0,
      posts: 0,
      promotions: 0,
      orders: 0,
      ...size,
    });
    const topics: readonly string[] = worker.topics;
    const records = stream.records.filter((r) => topics.includes(r.topic));

    it.each([
      ['calm', 0],
      ['with a crash in a third of the chunks', 0.33],
    ])('gives the simulator’s documents and dead letters (%s)', async (_name, crashRate) => {
      const { world, expectedDeadLetters, crashes } = await foldStreamInMemory(projection, records, {
        chunkSize: 40,
        crashRate,
        seed: 5,
      });
      expect(crashes > 0).toBe(crashRate > 0);
      expect(expectedDeadLetters.some((l) => l.endsWith('missing_entity'))).toBe(true);
      expect(comparableDocuments(world.sink.documents.values())).toEqual(
        comparableDocuments(expectedDocumentsOf(worker, stream).values()),
      );
      expect(world.deadLetterSet()).toEqual(expectedDeadLetters);
    });
  });
}
