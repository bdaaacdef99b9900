// npm run bench -- [--scale N] [--sizes 1000,10000,100000] [--naive-records N] [--projections a,b] [--fresh-rate N,N] [--worker-env NAME=VALUE] [--out FILE]
// Measures the built workers on the cluster of KAFKA_BROKERS and MONGO_URL (default: the local
// infrastructure), prints one table and writes the JSON report. Asserts nothing about time.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runBench } from './bench';
import { formatBenchReport } from './bench-report';
import { WORKERS } from '@sc/read-models';
import { wholeNumberOption } from './whole-number';

const NAMES: readonly string[] = WORKERS.map((w) => w.projection.name);
const USAGE = `usage: npm run bench -- [--scale N] [--sizes N,N,…] [--naive-records N] [--projections ${NAMES.join(',')}] [--out FILE]
  --scale N          entities of each kind in the generated stream (default 1500)
  --sizes N,N,…      documents of other entities in the collection before each run (default 1000,10000,100000)
  --naive-records N  records the naive baseline (find, compare, write per event) folds per size; 0 skips it (default 1500)
  --projections …    which workers to measure (default all three)
  --out FILE         where the JSON report goes (default dist/bench/bench-<date>.json)
  --fresh-rate N,N,… records/s of the freshness runs, one run per rate (produce → visible in MongoDB, p50/p99); 0 skips them (default 1000,300)
  --fresh-seconds S  how long each freshness run produces (default 10)
  --worker-env NAME=VALUE  an environment variable for every worker run (repeatable), e.g. PARTITIONS_CONCURRENCY=3
  --cpu-prof DIR     each worker run writes a V8 CPU profile into DIR (node --cpu-prof)
environment: KAFKA_BROKERS, MONGO_URL (default: the local infrastructure); the worker bundles must be built`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string', default: '1500' },
      sizes: { type: 'string', default: '1000,10000,100000' },
      'naive-records': { type: 'string', default: '1500' },
      projections: { type: 'string' },
      out: { type: 'string' },
      'cpu-prof': { type: 'string' },
      'fresh-rate': { type: 'string', default: '1000,300' },
      'worker-env': { type: 'string', multiple: true, default: [] },
      'fresh-seconds': { type: 'string', default: '10' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const count = (name: string, value: string): number => wholeNumberOption(name, value, USAGE);
  const projections = values.projections?.split(',').map((name) => {
    if (!NAMES.includes(name)) throw new Error(`--projections: no projection ${name}\n${USAGE}`);
    return name;
  });
  const report = await runBench({
    kafkaBrokers: process.env['KAFKA_BROKERS'] || '127.0.0.1:9092',
    mongoUrl: process.env['MONGO_URL'] || 'mongodb://127.0.0.1:27017',
    scale: count('scale', values.scale),
    sizes: values.sizes.split(',').map((size) => count('sizes', size)),
    naiveRecords: count('naive-records', values['naive-records']),
    freshnessRates: values['fresh-rate']
      .split(',')
      .map((rate) => count('fresh-rate', rate))
      .filter((rate) => rate > 0),
    workerEnv: Object.fromEntries(
      values['worker-env'].map((assignment) => {
        const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(assignment);
        if (!match) throw new Error(`--worker-env: expected NAME=VALUE, got ${JSON.stringify(assignment)}\n${USAGE}`);
        return [match[1]!, match[2]!];
      }),
    ),
    freshnessSeconds: count('fresh-seconds', values['fresh-seconds']),
    ...(projections && { projections }),
    ...(values['cpu-prof'] !== undefined && { cpuProfileDir: resolve(values['cpu-prof']) }),
    log: (line) => console.error(`[bench] ${line}`),
  });
  console.log(formatBenchReport(report));
  const out = resolve(values.out ?? `dist/bench/bench-${report.date.replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nJSON report: ${out}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
