// The live view's projection table: pure formatting, unit-tested (test/live-view.test.ts).
import type { WorkerCounters } from './metrics';
import { formatTable } from '@sc/service-kit';

/** One projection as the live view shows it. */
export interface ProjectionRow {
  readonly name: string;
  /** From the worker's /metrics; undefined while it does not answer. */
  readonly counters: WorkerCounters | undefined;
  /** Committed offsets behind the end of its topics (Kafka). */
  readonly lag: number;
  /** Records consumed per second over the last refresh. */
  readonly perSecond: number;
  /** Records this run has produced to its topics so far. */
  readonly produced: number;
  /** Records consumed per second over the last seconds; undefined until measured. */
  readonly consumeRate: number | undefined;
  /** Records produced to its topics per second over the same seconds (0 once publishing is done). */
  readonly produceRate: number;
}

/** 42 → "42s", 185 → "3m05s", 3720 → "1h02m". */
export function formatDuration(seconds: number): string {
  if (seconds < 1) return '<1s';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * How long until the lag is 0 at the current rates: the lag shrinks by what is
 * consumed minus what is still being produced per second. "caught up" at lag 0;
 * "stalled" when nothing is consumed; "falling behind" when production outpaces it;
 * "-" before a rate is known.
 */
export function catchUpEta(lag: number, consumeRate: number | undefined, produceRate: number): string {
  if (lag <= 0) return 'caught up';
  if (consumeRate === undefined) return '-';
  if (consumeRate <= 0) return 'stalled';
  const net = consumeRate - Math.max(0, produceRate);
  if (net <= 0) return 'falling behind';
  return formatDuration(lag / net);
}

/** `[#######.........]  44%`: done of total (clamped to 0-100%); an empty bar and "-" when there is no total. */
export function progressBar(done: number, total: number, width = 16): string {
  if (!(total > 0)) return `[${'.'.repeat(width)}]    -`;
  const fraction = Math.min(1, Math.max(0, done / total));
  // Full only when everything is there: 99.9% shows one dot and 99%.
  const filled = fraction >= 1 ? width : Math.min(width - 1, Math.floor(fraction * width));
  const percent = fraction >= 1 ? 100 : Math.min(99, Math.floor(fraction * 100));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(percent).padStart(3)}%`;
}

/** The projection table of the live view and the summary. */
export function renderProjectionRows(rows: readonly ProjectionRow[]): string {
  return formatTable(
    ['projection', 'applied', 'stale', 'ignored', 'dead-lettered', 'lag', 'events/s', 'consumed of produced', 'ETA'],
    rows.map((r) => [
      r.name,
      r.counters?.applied ?? 'down',
      r.counters?.stale,
      r.counters?.ignored,
      r.counters?.deadLettered,
      r.lag,
      Math.round(r.perSecond),
      r.counters === undefined ? '-' : progressBar(r.counters.consumed, r.produced),
      r.counters === undefined ? '-' : catchUpEta(r.lag, r.consumeRate, r.produceRate),
    ]),
  );
}

/** Per-second rate of a growing count over a sliding window of samples. */
export class RateMeter {
  private readonly samples: { readonly at: number; readonly value: number }[] = [];

  constructor(private readonly windowMs = 10_000) {}

  /** Adds a sample (`at` in ms) and returns the rate over the window; undefined with fewer than two samples. */
  add(at: number, value: number): number | undefined {
    this.samples.push({ at, value });
    while (this.samples.length > 2 && this.samples[1]!.at <= at - this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const seconds = (at - first.at) / 1000;
    return this.samples.length < 2 || seconds <= 0 ? undefined : Math.max(0, (value - first.value) / seconds);
  }
}

/**
 * Counts, for the first `sent` records of a stream, those on the given topics:
 * prefix sums built once, so each refresh is a lookup.
 */
export function producedCounter(
  records: readonly { readonly topic: string }[],
  topics: readonly string[],
): (sent: number) => number {
  const prefix = new Uint32Array(records.length + 1);
  for (let i = 0; i < records.length; i++) prefix[i + 1] = prefix[i]! + (topics.includes(records[i]!.topic) ? 1 : 0);
  return (sent) => prefix[Math.max(0, Math.min(records.length, sent))]!;
}
