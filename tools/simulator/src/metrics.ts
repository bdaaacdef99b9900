import { sumMetricSamples } from '@sc/kafka-runtime';

/** The counters the live view shows. */
export interface WorkerCounters {
  readonly applied: number;
  readonly stale: number;
  readonly ignored: number;
  readonly deadLettered: number;
  readonly consumed: number;
}

/** Reads a worker's counters from its /metrics; undefined while it does not answer. */
export async function scrapeWorker(port: number): Promise<WorkerCounters | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(1000) });
    const text = await response.text();
    const outcome = (o: string) => sumMetricSamples(text, 'sc_projection_events_total', { outcome: o });
    return {
      applied: outcome('applied'),
      stale: outcome('stale'),
      ignored: outcome('ignored'),
      deadLettered: outcome('dead_lettered'),
      consumed: sumMetricSamples(text, 'sc_projection_records_consumed_total'),
    };
  } catch {
    return undefined;
  }
}
