// Real Kafka and MongoDB on this machine, without Docker.
//
//   node --import tsx tools/local-infra/cli.ts up|down|status [--quiet] [--only kafka|mongo]
//   (npm run infra:up / infra:down / infra:status)
//
// `up` is idempotent: a service whose port already answers is reused, so a
// second `up` (or a developer's own broker) costs nothing. Data and logs live
// in LOCAL_INFRA_DIR (default: .local-infra/ at the repo root, gitignored).
// The parts: settings.ts (every knob), processes.ts (detached servers, pid files,
// ports), kafka.ts, postgres.ts, ferretdb.ts, mongo.ts, and commands.ts (up, down,
// status; also imported by tools/scripts).
import { down, status, up } from './commands';
import { isService, SERVICES } from './settings';
import type { Service } from './settings';

const USAGE = `usage: node --import tsx tools/local-infra/cli.ts up|down|status [--quiet] [--only ${SERVICES.join('|')}]`;

type Parsed =
  | {
      readonly ok: true;
      readonly command: 'up' | 'down' | 'status';
      readonly quiet: boolean;
      readonly only?: Service[];
    }
  | { readonly ok: false };

function parseArgs(argv: readonly string[]): Parsed {
  const [command] = argv;
  if (command !== 'up' && command !== 'down' && command !== 'status') return { ok: false };
  const quiet = argv.includes('--quiet');
  // `--only kafka` (or mongo): one service, e.g. a fresh broker on side ports beside the usual infrastructure.
  const onlyAt = argv.indexOf('--only');
  if (onlyAt < 0) return { ok: true, command, quiet };
  const only = argv[onlyAt + 1];
  return isService(only) ? { ok: true, command, quiet, only: [only] } : { ok: false };
}

async function main(argv: readonly string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (!parsed.ok) {
    console.error(USAGE);
    return 2;
  }
  const { command, quiet, only } = parsed;
  switch (command) {
    case 'up':
      await up({ quiet, only });
      return 0;
    case 'down':
      await down({ quiet, only });
      return 0;
    case 'status':
      return (await status()) ? 0 : 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`[local-infra] ${err instanceof Error ? err.message : String(err)}`);
    // Without waiting for the other service's start, which may still be polling.
    process.exit(1);
  },
);
