import { RECORD_AGE_BUCKETS_SECONDS } from '@sc/kafka-runtime';
import {
  FRESHNESS_GOAL_MS,
  ceilingRatio,
  formatBenchReport,
  growthRatio,
  histogramQuantile,
  quantile,
  rate,
} from '../src/bench-report';
import type { BenchReport, WorkerBench } from '../src/bench-report';

const bench: WorkerBench = {
  worker: 'user-cards-worker',
  collection: 'user_cards',
  records: 1000,
  consumeCeiling: { events: 1000, seconds: 0.1 },
  writeCeiling: { events: 1000, seconds: 0.5 },
  sizes: [
    {
      documents: 100_000,
      worker: {
        events: 1000,
        seconds: 1,
        cpuMicrosPerEvent: 40,
        serverCpuMicrosPerEvent: 1500,
        rssMb: 120,
        commandsPerEvent: 0.01,
      },
      naive: { events: 200, seconds: 2 },
    },
    {
      documents: 1000,
      worker: { events: 1000, seconds: 0.8, cpuMicrosPerEvent: 38, rssMb: 118, commandsPerEvent: 0.01 },
    },
  ],
  freshness: [
    {
      rate: 1000,
      p50Ms: 30.4,
      p99Ms: 180.2,
      withinGoal: 0.9912,
      polled: { samples: 21, unseen: 1, p50Ms: 34, maxMs: 190 },
      chunkRecords: 52.4,
      chunkMs: 20.6,
      cpuMicrosPerEvent: 231.4,
      serverCpuMicrosPerEvent: 1204.6,
      commandsPerEvent: 0.2371,
      rssMb: 101.2,
    },
    {
      rate: 300,
      p50Ms: 12,
      p99Ms: 40,
      withinGoal: 1,
      polled: { samples: 20, unseen: 0, p50Ms: 15, maxMs: 41 },
      chunkRecords: 8,
      chunkMs: 9.2,
      rssMb: 98.7,
    },
  ],
  bytesWritten: { perEvent: 210.4, perEventAsReplaces: 612.6 },
  clientWork: { decodeMicrosPerEvent: 4.26, planMicrosPerEvent: 11.3 },
};

describe('bench figures', () => {
  it('rates are events over seconds, and an empty run is 0', () => {
    expect(rate({ events: 1000, seconds: 0.5 })).toBe(2000);
    expect(rate({ events: 0, seconds: 0 })).toBe(0);
  });

  it('compares the worker with the lower ceiling, and the largest size with the smallest', () => {
    // Ceilings 10,000/s and 2,000/s: the worker's 1,000/s at 100k documents is half the lower.
    expect(ceilingRatio(bench, bench.sizes[0]!)).toBeCloseTo(0.5);
    // 1,000/s at 100k documents against 1,250/s at 1k, whatever order the sizes were run in.
    expect(growthRatio(bench)).toBeCloseTo(0.8);
    expect(growthRatio({ ...bench, sizes: bench.sizes.slice(0, 1) })).toBeUndefined();
  });

  it("reads the share within the freshness goal from a bound of the worker's record-age histogram", () => {
    expect(RECORD_AGE_BUCKETS_SECONDS).toContain(FRESHNESS_GOAL_MS / 1000);
  });

  it('interpolates a quantile within the bucket its rank falls in, from the bound below, as histogram_quantile', () => {
    // 100 observations: 10 at most 0.1, 60 at most 0.25, 90 at most 0.5, all at most 1.
    const buckets = [
      { le: 0.1, count: 10 },
      { le: 0.25, count: 60 },
      { le: 0.5, count: 90 },
      { le: 1, count: 100 },
      { le: Infinity, count: 100 },
    ];
    // Rank 50: the 40th of the 50 between 0.1 and 0.25.
    expect(histogramQuantile(buckets, 0.5)).toBeCloseTo(0.1 + 0.15 * (40 / 50));
    // Rank 99: the 9th of the 10 between 0.5 and 1.
    expect(histogramQuantile(buckets, 0.99)).toBeCloseTo(0.5 + 0.5 * (9 / 10));
    // Rank 5, in the first bucket: from 0.
    expect(histogramQuantile(buckets, 0.05)).toBeCloseTo(0.05);
    // Observations at most 1 s, then all of them at most Infinity.
    const upToOneSecond = (atMostOne: number, all: number) => [
      { le: 1, count: atMostOne },
      { le: Infinity, count: all },
    ];
    // Ranks past the highest bound: the bound is all that is known.
    expect(histogramQuantile(upToOneSecond(90, 100), 0.99)).toBe(1);
    expect(histogramQuantile(upToOneSecond(0, 0), 0.5)).toBe(0);
  });

  it('takes quantiles by nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(quantile(values, 0.5)).toBe(50);
    expect(quantile(values, 0.99)).toBe(99);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBe(0);
  });

  it('prints a row per worker and size, then the ceilings and growth, then a freshness row per rate', () => {
    const report: BenchReport = { date: '2026-11-28', machine: '2 cores', server: 'FerretDB 7.0.42', workers: [bench] };
    const lines = formatBenchReport(report).split('\n');
    expect(lines[0]).toBe('bench 2026-11-28 on 2 cores; FerretDB 7.0.42; user-cards-worker 1,000 records');
    const rows = lines.filter((l) => l.startsWith('user-cards-worker  '));
    expect(rows[0]!.split(/\s{2,}/)).toEqual([
      'user-cards-worker',
      '100,000',
      '1,000',
      '40',
      '1,500',
      '120',
      '0.010',
      '100',
      '10.0×',
      '0.50',
    ]);
    expect(rows[1]!.split(/\s{2,}/)).toEqual([
      'user-cards-worker',
      '1,000',
      '1,250',
      '38',
      '–',
      '118',
      '0.010',
      '–',
      '–',
      '0.63',
    ]);
    expect(rows[2]!.split(/\s{2,}/)).toEqual([
      'user-cards-worker',
      '10,000',
      '2,000',
      '0.80×',
      '210 (613)',
      '15.6 (4.3 + 11.3)',
    ]);
    const freshness = lines.slice(lines.findIndex((l) => l.startsWith('freshness')));
    expect(freshness.map((l) => l.split(/\s{2,}/))).toEqual([
      [
        'freshness',
        'produced',
        'p50 ms',
        'p99 ms',
        '≤ 250 ms',
        'polled p50 / max ms (records)',
        'records/chunk',
        'ms/chunk',
        'CPU µs/event',
        'server CPU µs/event',
        'commands/event',
        'RSS MB',
      ],
      [
        'user-cards-worker',
        '1,000/s',
        '30',
        '180',
        '99.1%',
        '34 / 190 (21, 1 unseen)',
        '52',
        '21',
        '231',
        '1,205',
        '0.237',
        '101',
      ],
      // A run without the worker's samples (its metrics did not answer) shows none of those figures.
      ['user-cards-worker', '300/s', '12', '40', '100.0%', '15 / 41 (20)', '8', '9', '–', '–', '–', '99'],
    ]);
    const { freshness: _none, ...withoutFreshness } = bench;
    expect(formatBenchReport({ ...report, workers: [withoutFreshness] })).not.toContain('freshness');
  });
});
