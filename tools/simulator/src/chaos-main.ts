// npm run chaos -- --kills N --store-faults S --seed X [--scale N] [--broker-restarts N] [--joins N] [--store-outage S] [--window S] [--json]
// Runs the fault suite on the cluster of KAFKA_BROKERS and MONGO_URL (default: the local infrastructure)
// and prints its report; exit 0 only when every document and dead letter is as a calm run gives.
// Broker restarts use a private broker on side ports, never the shared one.
import { parseArgs } from 'node:util';
import { formatChaosReport, runChaos } from './chaos';
import { startPrivateBroker } from './owned-broker';
import type { PrivateBroker } from './owned-broker';
import { wholeNumberOption } from './whole-number';

const USAGE = `usage: npm run chaos -- [--kills N] [--store-faults N] [--broker-restarts N] [--joins N] [--store-outage S] [--seed N] [--scale N] [--window S] [--json]
  --kills N            SIGKILLs of a random worker mid-run, each restarted at once (default 6)
  --store-faults N     MongoDB connections cut mid-find or mid-write, before the command or before its reply (default 40)
  --broker-restarts N  the broker stopped for 20 s and started again (a private broker on side ports; default 0)
  --joins N            second instances of every worker that join mid-run and leave later (default 1)
  --store-outage S     one MongoDB outage of S seconds (every connection refused; default 0)
  --seed N             stream and fault seed (default: random)
  --scale N            entities of each kind in the stream (default 300)
  --window S           seconds over which the stream is produced and the faults happen (default 40)
environment: KAFKA_BROKERS, MONGO_URL (default: the local infrastructure)`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      kills: { type: 'string', default: '6' },
      'store-faults': { type: 'string', default: '40' },
      'broker-restarts': { type: 'string', default: '0' },
      joins: { type: 'string', default: '1' },
      'store-outage': { type: 'string', default: '0' },
      seed: { type: 'string' },
      scale: { type: 'string', default: '300' },
      window: { type: 'string', default: '40' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const count = (name: string, value: string): number => wholeNumberOption(name, value, USAGE);
  const brokerRestarts = count('broker-restarts', values['broker-restarts']);
  let broker: PrivateBroker | undefined;
  if (brokerRestarts > 0) {
    broker = startPrivateBroker(20000 + 2 * Math.floor(Math.random() * 5000));
    console.log(`private broker on ${broker.brokers} for the broker restarts`);
  }
  try {
    const report = await runChaos({
      kafkaBrokers: broker?.brokers ?? (process.env['KAFKA_BROKERS'] || '127.0.0.1:9092'),
      mongoUrl: process.env['MONGO_URL'] || 'mongodb://127.0.0.1:27017',
      seed: values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : count('seed', values.seed),
      scale: count('scale', values.scale),
      kills: count('kills', values.kills),
      storeFaults: count('store-faults', values['store-faults']),
      brokerRestarts,
      ...(broker && { broker }),
      joins: count('joins', values.joins),
      storeOutageMs: count('store-outage', values['store-outage']) * 1000,
      windowMs: count('window', values.window) * 1000,
      log: (line) => console.log(`[${new Date().toISOString()}] ${line}`),
    });
    console.log(formatChaosReport(report));
    if (values.json) console.log(`CHAOS_JSON ${JSON.stringify(report)}`);
    return report.exact ? 0 : 1;
  } finally {
    await broker?.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`chaos: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  },
);
