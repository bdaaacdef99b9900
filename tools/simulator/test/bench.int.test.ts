import { WORKERS } from '@sc/read-models';
import { runBench } from '../src/bench';
import { serverCpuSeconds } from '../src/server-cpu';

// A tiny run of `npm run bench`: every phase runs and reports; the figures themselves are not judged here.
jest.setTimeout(300_000);

describe('npm run bench, tiny', () => {
  it('measures each built worker at each size, the ceilings, the naive baseline and the freshness, with the worker environment asked for', async () => {
    const serversHere = serverCpuSeconds() !== undefined;
    const report = await runBench({
      kafkaBrokers: process.env['KAFKA_BROKERS']!,
      mongoUrl: process.env['MONGO_URL']!,
      scale: 15,
      sizes: [20, 200],
      naiveRecords: 30,
      freshnessRates: [200],
      freshnessSeconds: 1,
      // Reaches every worker run: one record per chunk shows in the chunks and the commands.
      workerEnv: { MAX_EVENTS_PER_WRITE: '1' },
    });
    expect(report.workers.map((w) => w.worker)).toEqual(WORKERS.map((w) => w.app));
    for (const bench of report.workers) {
      expect(bench.records).toBeGreaterThan(30);
      expect(bench.consumeCeiling.events).toBe(bench.records);
      expect(bench.writeCeiling.events).toBe(bench.records);
      expect(bench.sizes.map((s) => s.documents)).toEqual([20, 200]);
      for (const size of bench.sizes) {
        expect(size.worker).toMatchObject({
          events: bench.records,
          cpuMicrosPerEvent: expect.any(Number),
          rssMb: expect.any(Number),
          commandsPerEvent: expect.any(Number),
        });
        // Where the store's server runs on this machine (the local infrastructure), its CPU is set beside the worker's.
        const serverCpu = size.worker.serverCpuMicrosPerEvent;
        expect(serversHere ? serverCpu !== undefined && serverCpu > 0 : serverCpu === undefined).toBe(true);
        // In chunks of 500 a worker sends a few hundredths of a command per event; in chunks of 1, one per change.
        expect(size.worker.commandsPerEvent).toBeGreaterThan(0.5);
        expect(size.naive?.events).toBe(30);
      }
      expect(bench.freshness).toHaveLength(1);
      const [fresh] = bench.freshness!;
      expect(fresh!.polled.samples).toBeGreaterThan(0);
      expect(fresh!.polled.maxMs).toBeGreaterThanOrEqual(fresh!.polled.p50Ms);
      expect(fresh!.chunkRecords).toBe(1);
      expect(fresh!.chunkMs).toBeGreaterThan(0);
      // The worker's own measure of every record's age: at least the chunk that made a record durable.
      expect(fresh!.p50Ms).toBeGreaterThan(0);
      expect(fresh!.p99Ms).toBeGreaterThanOrEqual(fresh!.p50Ms);
      // A share of the records the worker aged, read from the histogram's 250 ms bucket.
      expect(fresh!.withinGoal).toBeGreaterThanOrEqual(0);
      expect(fresh!.withinGoal).toBeLessThanOrEqual(1);
      expect(fresh!.rssMb).toBeGreaterThan(0);
      // Chunks of one record: a store command for nearly every record that changes a document.
      expect(fresh!.cpuMicrosPerEvent).toBeGreaterThan(0);
      expect(fresh!.commandsPerEvent).toBeGreaterThan(0.5);
      const freshServerCpu = fresh!.serverCpuMicrosPerEvent;
      expect(serversHere ? freshServerCpu !== undefined && freshServerCpu > 0 : freshServerCpu === undefined).toBe(
        true,
      );
      expect(bench.clientWork?.decodeMicrosPerEvent).toBeGreaterThan(0);
      expect(bench.clientWork?.planMicrosPerEvent).toBeGreaterThan(0);
    }
  });
});
