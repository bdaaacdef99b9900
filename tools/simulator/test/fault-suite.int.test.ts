import { runChaos } from '../src/chaos';
import type { ChaosOptions, ChaosReport } from '../src/chaos';
import { startPrivateBroker } from '../src/owned-broker';

/**
 * The fault suite, short: the three built workers on a real broker and store, a
 * seeded stream with duplicates, stale replays, out-of-order creates, unknown items
 * and poison, and one kind of fault per case while they consume. Each run must end
 * with every document field by field and the dead-letter topic (as a set of
 * original topic, key, value and reason) exactly as the contract's calm run gives, and
 * no worker process may end on its own.
 * `npm run chaos` runs the long one.
 */
// A case takes ~25-60 s on a calm 2-core machine; a loaded one may need many times that.
jest.setTimeout(420_000);

describe('fault suite: a fault must not change the result', () => {
  // Read when a case runs: the jest global setup provides the infrastructure's addresses.
  const base = () =>
    ({
      kafkaBrokers: process.env['KAFKA_BROKERS']!,
      mongoUrl: process.env['MONGO_URL']!,
      scale: 120,
      kills: 0,
      storeFaults: 0,
      brokerRestarts: 0,
      joins: 0,
      windowMs: 20_000,
    }) satisfies Partial<ChaosOptions>;
  const exact = (report: ChaosReport) => {
    expect({
      documents: report.documents,
      deadLetters: report.deadLetters,
      examples: report.examples,
      unplannedExits: report.unplannedExits,
    }).toEqual({
      documents: { checked: expect.any(Number), wrong: 0, missing: 0, extra: 0 },
      deadLetters: { expected: expect.any(Number), missing: 0, extra: 0, duplicated: expect.any(Number) },
      examples: [],
      // A worker rides out every fault here in its process: none ends for the orchestrator to restart.
      unplannedExits: [],
    });
    expect(report.documents.checked).toBeGreaterThan(300);
    expect(report.deadLetters.expected).toBeGreaterThan(20);
    expect(report.exact).toBe(true);
  };

  it('repeated SIGKILLs of the workers mid-run, each restarted at once', async () => {
    const report = await runChaos({ ...base(), seed: 101, kills: 5 });
    expect(report.kills).toBe(5);
    exact(report);
  });

  it('MongoDB connections cut mid-find and mid-write, before the command and before its reply', async () => {
    const report = await runChaos({ ...base(), seed: 202, storeFaults: 40 });
    const kinds = Object.keys(report.storeCutsByKind);
    expect(kinds.some((k) => k.startsWith('find'))).toBe(true);
    expect(kinds.some((k) => k.startsWith('update') || k.startsWith('insert'))).toBe(true);
    expect(kinds.some((k) => k.endsWith('before the reply'))).toBe(true);
    exact(report);
  });

  it('a store outage longer than the session timeout: no rebalance (heartbeats go on while the chunk waits)', async () => {
    // The workers' session timeout in tests is 10 s.
    const report = await runChaos({ ...base(), seed: 303, storeOutageMs: 15_000 });
    expect(report.storeOutageSeconds).toBe(15);
    expect(report.rebalances).toBe(0);
    exact(report);
  });

  it('the broker stopped mid-run and started again', async () => {
    const broker = startPrivateBroker(20000 + 2 * Math.floor(Math.random() * 5000));
    try {
      const report = await runChaos({
        ...base(),
        kafkaBrokers: broker.brokers,
        seed: 404,
        brokerRestarts: 1,
        broker,
        brokerDownMs: 10_000,
      });
      expect(report.brokerRestarts).toBe(1);
      exact(report);
    } finally {
      await broker.destroy();
    }
  });

  it('a second instance of every worker joining mid-run and leaving later', async () => {
    const report = await runChaos({ ...base(), seed: 505, joins: 1 });
    expect(report.joins).toBe(1);
    expect(report.rebalances).toBeGreaterThan(0);
    exact(report);
  });
});
