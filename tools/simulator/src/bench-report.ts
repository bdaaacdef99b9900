// The figures of `npm run bench` and how they print: pure, so the table and the ratios
// are unit-tested without a broker or a store.

/** One measured run: a number of events over a time, with what it cost where it was measured. */
export interface RunFigures {
  readonly events: number;
  readonly seconds: number;
  /** Worker CPU (user + system) per event, where the run was a worker process. */
  readonly cpuMicrosPerEvent?: number;
  /**
   * CPU per event of the store's server processes running on this machine (FerretDB,
   * PostgreSQL or mongod) during the run; absent when none runs here.
   */
  readonly serverCpuMicrosPerEvent?: number;
  /** Worker resident memory at the end of the run. */
  readonly rssMb?: number;
  /** MongoDB commands per event (the store's own count). */
  readonly commandsPerEvent?: number;
}

/** The figures of one worker at one collection size. */
export interface SizeFigures {
  /** Documents already in the collection before the stream (other entities'). */
  readonly documents: number;
  /** The built worker: produce the stream, time from its first record to lag 0. */
  readonly worker: RunFigures;
  /** The seed's literal algorithm (per event: find, compare, write), in process. */
  readonly naive?: RunFigures;
}

/**
 * A few records of a freshness run looked for from outside: produced, then polled for in
 * MongoDB by key until their version shows, timed from the producer's acknowledgement.
 */
export interface PolledFreshness {
  /** Records polled for. */
  readonly samples: number;
  /** Of those, never visible within the wait (rejected ones, e.g.). */
  readonly unseen: number;
  readonly p50Ms: number;
  readonly maxMs: number;
}

/** Produce-to-durable latency at a fixed produce rate. */
export interface FreshnessFigures {
  /** Records produced per second. */
  readonly rate: number;
  /**
   * Median and 99th percentile of every record's age, from its Kafka timestamp (the
   * producer's clock) to its chunk being durable in MongoDB and the dead-letter topic, as
   * the worker measures it (`sc_projection_record_age_seconds`), interpolated within the
   * histogram's buckets as Prometheus's `histogram_quantile` does.
   */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /**
   * Share (0..1) of all the run's records durable within {@link FRESHNESS_GOAL_MS} of their
   * Kafka timestamp, from the same histogram's bucket at the goal.
   */
  readonly withinGoal: number;
  /** The same latency seen from outside, for a few records: a check of the worker's own measure. */
  readonly polled: PolledFreshness;
  /** Worker resident memory at the end of the run: at a steady produce rate, unlike a backlog's full fetches. */
  readonly rssMb: number;
  /** Mean records per chunk the worker processed during the run (its batch histogram). */
  readonly chunkRecords: number;
  /** Mean time of one chunk, from decode to the store's and the dead-letter topic's acknowledgement. */
  readonly chunkMs: number;
  /**
   * The worker's process CPU per record consumed over the run's second half (its first
   * seconds also compile its code), up to lag 0 after the last record: at a steady rate its
   * chunks are small, and each costs its round trips.
   */
  readonly cpuMicrosPerEvent?: number;
  /** The store server's CPU per record over the same time, where it runs on this machine (the bench's own polls included). */
  readonly serverCpuMicrosPerEvent?: number;
  /** Store commands per record over the same time. */
  readonly commandsPerEvent?: number;
}

/** One bucket of a Prometheus histogram: how many observations were at most `le`. */
export interface HistogramBucket {
  readonly le: number;
  readonly count: number;
}

/**
 * The `q` quantile (0..1) of a histogram given as cumulative buckets in increasing `le`,
 * the last one `Infinity`: linear within the bucket the rank falls in, from the bound
 * below (0 below the first), as Prometheus's `histogram_quantile`; the highest finite
 * bound when the rank falls above it. 0 for no observations.
 */
export function histogramQuantile(buckets: readonly HistogramBucket[], q: number): number {
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return 0;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const { le, count } of buckets) {
    if (count >= rank) {
      if (le === Infinity) return lower;
      return count === below ? le : lower + ((le - lower) * (rank - below)) / (count - below);
    }
    lower = le;
    below = count;
  }
  return lower;
}

/** The freshness goal (p99 within it): one of `sc_projection_record_age_seconds`'s bucket bounds. */
export const FRESHNESS_GOAL_MS = 250;

/** CPU per record of the worker's own work done in process, with no I/O (warm). */
export interface ClientWorkFigures {
  /** Decoding and validating each record as the worker does. */
  readonly decodeMicrosPerEvent: number;
  /** Folding, planning and sizing the writes in chunks of 500, as the store does. */
  readonly planMicrosPerEvent: number;
}

/** The `q` quantile (0..1) of `values` by nearest rank; 0 for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Everything `npm run bench` measured for one worker. */
export interface WorkerBench {
  readonly worker: string;
  readonly collection: string;
  /** Records of the stream on the worker's topics: the events of every run. */
  readonly records: number;
  /** Raw kafkajs consumption of the same records, decode only, no store. */
  readonly consumeCeiling: RunFigures;
  /** Raw bulk inserts of the same final documents into an empty collection. */
  readonly writeCeiling: RunFigures;
  readonly sizes: readonly SizeFigures[];
  readonly clientWork?: ClientWorkFigures;
  /** One freshness run per produce rate asked for. */
  readonly freshness?: readonly FreshnessFigures[];
  /** Bytes of write statements per event, folded in chunks of 500: as sent, and as whole-document replaces. */
  readonly bytesWritten?: { readonly perEvent: number; readonly perEventAsReplaces: number };
}

/** The whole report, as written to the JSON file. */
export interface BenchReport {
  readonly date: string;
  readonly machine: string;
  readonly server: string;
  readonly workers: readonly WorkerBench[];
}

/** Events per second of a run (0 for an empty one). */
export function rate(run: RunFigures): number {
  return run.seconds > 0 ? run.events / run.seconds : 0;
}

/** The end-to-end rate over the lower of the two ceilings: how much of what the parts allow the worker gets. */
export function ceilingRatio(bench: WorkerBench, size: SizeFigures): number {
  const ceiling = Math.min(rate(bench.consumeCeiling), rate(bench.writeCeiling));
  return ceiling > 0 ? rate(size.worker) / ceiling : 0;
}

/** The worker's rate at the largest size over its rate at the smallest (1 = no decay). */
export function growthRatio(bench: WorkerBench): number | undefined {
  if (bench.sizes.length < 2) return undefined;
  const sorted = [...bench.sizes].sort((a, b) => a.documents - b.documents);
  const smallest = rate(sorted[0]!.worker);
  return smallest > 0 ? rate(sorted.at(-1)!.worker) / smallest : undefined;
}

const integer = (value: number): string => Math.round(value).toLocaleString('en');
const fixed = (value: number | undefined, digits: number): string =>
  value === undefined ? '–' : value.toFixed(digits);
const integerOrDash = (value: number | undefined): string => (value === undefined ? '–' : integer(value));

/** Lines of a table: the first column left-aligned, the others right-aligned. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [header, ...rows].map(line);
}

/** The report as tables: a row per worker and size, then the ceilings and ratios, then freshness per produce rate. */
export function formatBenchReport(report: BenchReport): string {
  const header = [
    'worker',
    'documents',
    'events/s',
    'CPU µs/event',
    'server CPU µs/event',
    'RSS MB',
    'commands/event',
    'naive events/s',
    '× naive',
    '÷ ceiling',
  ];
  const rows: string[][] = [];
  for (const bench of report.workers)
    for (const size of bench.sizes) {
      const naive = size.naive === undefined ? undefined : rate(size.naive);
      rows.push([
        bench.worker,
        integer(size.documents),
        integer(rate(size.worker)),
        fixed(size.worker.cpuMicrosPerEvent, 0),
        integerOrDash(size.worker.serverCpuMicrosPerEvent),
        fixed(size.worker.rssMb, 0),
        fixed(size.worker.commandsPerEvent, 3),
        naive === undefined ? '–' : integer(naive),
        naive === undefined || naive === 0 ? '–' : `${(rate(size.worker) / naive).toFixed(1)}×`,
        fixed(ceilingRatio(bench, size), 2),
      ]);
    }
  const lines = [
    `bench ${report.date} on ${report.machine}; ${report.server}; ${report.workers.map((b) => `${b.worker} ${integer(b.records)} records`).join(', ')}`,
    ...table(header, rows),
    '',
    'ceilings (events/s)   consume+decode   bulk insert   growth (largest ÷ smallest size)  bytes written/event (as replaces)  in-process µs/event (decode + plan)',
  ];
  for (const bench of report.workers) {
    const growth = growthRatio(bench);
    const bytes = bench.bytesWritten;
    const work = bench.clientWork;
    lines.push(
      `${bench.worker.padEnd(22)}${integer(rate(bench.consumeCeiling)).padStart(14)}${integer(rate(bench.writeCeiling)).padStart(14)}${(growth === undefined ? '–' : `${growth.toFixed(2)}×`).padStart(10)}  ${(bytes === undefined ? '–' : `${integer(bytes.perEvent)} (${integer(bytes.perEventAsReplaces)})`).padStart(20)}  ${(work === undefined ? '–' : `${fixed(work.decodeMicrosPerEvent + work.planMicrosPerEvent, 1)} (${fixed(work.decodeMicrosPerEvent, 1)} + ${fixed(work.planMicrosPerEvent, 1)})`).padStart(20)}`,
    );
  }
  const freshness = report.workers.flatMap((bench) =>
    (bench.freshness ?? []).map((fresh) => [
      bench.worker,
      `${integer(fresh.rate)}/s`,
      integer(fresh.p50Ms),
      integer(fresh.p99Ms),
      `${fixed(100 * fresh.withinGoal, 1)}%`,
      `${integer(fresh.polled.p50Ms)} / ${integer(fresh.polled.maxMs)} (${fresh.polled.samples}${fresh.polled.unseen > 0 ? `, ${fresh.polled.unseen} unseen` : ''})`,
      integer(fresh.chunkRecords),
      integer(fresh.chunkMs),
      integerOrDash(fresh.cpuMicrosPerEvent),
      integerOrDash(fresh.serverCpuMicrosPerEvent),
      fixed(fresh.commandsPerEvent, 3),
      integer(fresh.rssMb),
    ]),
  );
  if (freshness.length > 0)
    lines.push(
      '',
      ...table(
        [
          'freshness',
          'produced',
          'p50 ms',
          'p99 ms',
          `≤ ${FRESHNESS_GOAL_MS} ms`,
          'polled p50 / max ms (records)',
          'records/chunk',
          'ms/chunk',
          'CPU µs/event',
          'server CPU µs/event',
          'commands/event',
          'RSS MB',
        ],
        freshness,
      ),
    );
  return lines.join('\n');
}
