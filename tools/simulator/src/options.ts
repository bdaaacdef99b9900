import { parseArgs } from 'node:util';
import type { StreamOptions } from '@sc/event-simulator';
import { probePorts } from '@sc/read-models';

/** What `main.ts` reads from its arguments. */
export interface SimulatorOptions {
  readonly stream: StreamOptions;
  /** Events per second; 0 publishes as fast as the broker takes them. */
  readonly rate: number;
  /** Stop publishing after this many seconds (0: when the stream ends). */
  readonly durationSeconds: number;
  /** Partitions of the topics it creates; default: as deploy/topics.json declares. */
  readonly partitions: number | undefined;
  readonly once: boolean;
  readonly live: boolean;
  readonly json: boolean;
  /** Probe ports of the three workers, for the live view. */
  readonly metricsPorts: readonly number[];
}

export const USAGE = `usage: tsx tools/simulator/src/main.ts <publish|run|topics> [options]
  publish   create the topics and publish a simulated stream, print what was produced
  run       publish and show the projections live (what npm start does); --once waits for lag 0 and prints a summary
  topics    create the topics of deploy/topics.json that do not exist, and report partition mismatches
options:
  --seed N             stream seed (default 1)
  --scale N            entities of each kind: users, posts, orders (default 300; promotions scale/4)
  --rate N             events per second, 0 = as fast as possible (default 0 with --once, else 500)
  --duration S         stop publishing after S seconds (default: when the stream ends)
  --duplicates F       share of duplicated events (default 0.05)
  --stale F            share of events replayed stale later (default 0.03)
  --poison F           share of malformed records (default 0.01)
  --partitions N       partitions of topics it creates (default: as deploy/topics.json declares)
  --once               fixed stream, wait for lag 0, print the summary, exit 0
  --json               print the summary as one JSON line as well
environment: KAFKA_BROKERS, MONGO_URL, MONGO_DB, KAFKA_NAME_PREFIX, START_HTTP_PORT_BASE`;

/** Parses the command line; throws with the usage on a bad option. */
export function parseSimulatorArgs(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): { command: string; options: SimulatorOptions } {
  const { positionals, values } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      seed: { type: 'string', default: '1' },
      scale: { type: 'string', default: '300' },
      rate: { type: 'string' },
      duration: { type: 'string', default: '0' },
      duplicates: { type: 'string', default: '0.05' },
      stale: { type: 'string', default: '0.03' },
      poison: { type: 'string', default: '0.01' },
      partitions: { type: 'string' },
      once: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const number = (name: string, value: string | undefined, min: number, max: number): number => {
    const n = Number(value);
    if (value === undefined || !Number.isFinite(n) || n < min || n > max)
      throw new Error(`--${name} must be a number from ${min} to ${max}\n${USAGE}`);
    return n;
  };
  const command = positionals[0] ?? 'run';
  if (!['publish', 'run', 'topics'].includes(command)) throw new Error(`unknown command ${command}\n${USAGE}`);
  const scale = Math.round(number('scale', values.scale, 1, 1_000_000));
  const base = env['START_HTTP_PORT_BASE'] ? Number(env['START_HTTP_PORT_BASE']) : undefined;
  return {
    command,
    options: {
      stream: {
        seed: Math.round(number('seed', values.seed, 0, 2 ** 31)),
        users: scale,
        posts: scale,
        promotions: Math.max(1, Math.round(scale / 4)),
        orders: scale,
        duplicateRate: number('duplicates', values.duplicates, 0, 1),
        staleRate: number('stale', values.stale, 0, 1),
        poisonRate: number('poison', values.poison, 0, 1),
        unknownTypeRate: 0.01,
        outOfOrderRate: 0.02,
      },
      rate: number('rate', values.rate ?? (values.once ? '0' : '500'), 0, 10_000_000),
      durationSeconds: number('duration', values.duration, 0, 10_000_000),
      partitions:
        values.partitions === undefined ? undefined : Math.round(number('partitions', values.partitions, 1, 1000)),
      once: values.once ?? false,
      live: command === 'run',
      json: values.json ?? false,
      metricsPorts: probePorts(base),
    },
  };
}
