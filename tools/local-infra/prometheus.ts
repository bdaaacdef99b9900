// Prometheus on this machine, without Docker: Debian's `prometheus` package (which
// ships `promtool`), installed on first use like PostgreSQL is for FerretDB.
//
//   node --import tsx tools/local-infra/prometheus.ts ensure   # install if missing; print the binaries as JSON
//   node --import tsx tools/local-infra/prometheus.ts check [alerts.yaml]   # promtool check rules + test rules (deploy/monitoring)
//   node --import tsx tools/local-infra/prometheus.ts rules    # alerts.yaml's rules as a plain Prometheus rules file (stdout)
//   node --import tsx tools/local-infra/prometheus.ts up       # a Prometheus on :9090 scraping the workers of `npm start`
//   node --import tsx tools/local-infra/prometheus.ts serve '<json options of startPrometheus>'   # for tests: prints `ready <url>`
//
// deploy/monitoring/alerts.yaml is a PrometheusRule (the Prometheus Operator's
// resource); Prometheus and promtool read its `spec` (`groups:`), which
// `writePlainRules` extracts.
import { spawn, spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { WORKERS, probePorts } from '@sc/read-models';

const repoRoot = resolve(__dirname, '../..');
export const ALERTS_FILE = join(repoRoot, 'deploy', 'monitoring', 'alerts.yaml');
export const ALERTS_TEST_FILE = join(repoRoot, 'deploy', 'monitoring', 'alerts.test.yaml');
/** The file name alerts.test.yaml's `rule_files` names: the plain rules, written next to a copy of it. */
export const PLAIN_RULES_NAME = 'alerts.rules.yaml';

function log(quiet: boolean, ...args: unknown[]): void {
  if (!quiet) console.error('[prometheus]', ...args);
}

function findBinary(name: string): string | undefined {
  for (const dir of [...(process.env['PATH'] ?? '').split(delimiter), '/usr/bin', '/usr/local/bin']) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

export interface PrometheusBinaries {
  readonly prometheus: string;
  readonly promtool: string;
  readonly version: string;
}

/**
 * The `prometheus` and `promtool` binaries: from PATH, else installed from Debian
 * packages (`apt-get install prometheus`, without the recommended exporters; as
 * root or with passwordless sudo). Throws with what to do when neither works.
 */
export function ensurePrometheus({ quiet = false }: { readonly quiet?: boolean } = {}): PrometheusBinaries {
  let prometheus = findBinary('prometheus');
  let promtool = findBinary('promtool');
  // As root, or through passwordless sudo (e.g. a CI runner).
  const root = process.getuid?.() === 0;
  const sudo = !root && findBinary('sudo') && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if ((!prometheus || !promtool) && (root || sudo) && findBinary('apt-get')) {
    log(quiet, 'installing Prometheus from Debian packages (first run only)…');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const aptGet = (args: readonly string[]): SpawnSyncReturns<string> =>
      root
        ? spawnSync('apt-get', args, { stdio: 'pipe', env, encoding: 'utf8' })
        : spawnSync('sudo', ['-n', 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args], {
            stdio: 'pipe',
            encoding: 'utf8',
          });
    aptGet(['update', '-qq']);
    const installed = aptGet(['install', '-y', '-qq', '--no-install-recommends', 'prometheus']);
    if (installed.status !== 0)
      log(quiet, `apt-get install prometheus failed:\n${installed.stdout}${installed.stderr}`);
    prometheus = findBinary('prometheus');
    promtool = findBinary('promtool');
  }
  if (!prometheus || !promtool) {
    throw new Error(
      'Prometheus is not installed and could not be installed here: install it (Debian/Ubuntu: `apt-get install prometheus`, which ships promtool; or the release tarball from prometheus.io) so that `prometheus` and `promtool` are on PATH',
    );
  }
  const version = /prometheus, version (\S+)/.exec(
    spawnSync(prometheus, ['--version'], { encoding: 'utf8' }).stdout ?? '',
  )?.[1];
  return { prometheus, promtool, version: version ?? 'unknown' };
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/** The rule groups of a PrometheusRule resource (or of a plain rules file). */
export function ruleGroups(file: string = ALERTS_FILE): unknown[] {
  const doc: unknown = parse(readFileSync(file, 'utf8'));
  const groups = isRecord(doc)
    ? doc['kind'] === 'PrometheusRule'
      ? isRecord(doc['spec'])
        ? doc['spec']['groups']
        : undefined
      : doc['groups']
    : undefined;
  if (!Array.isArray(groups)) throw new Error(`${file}: no rule groups (spec.groups of a PrometheusRule, or groups)`);
  return groups as unknown[];
}

/** The rule groups of a PrometheusRule as the text of a plain Prometheus rules file. */
export function plainRules(alertsFile: string = ALERTS_FILE): string {
  return stringify({ groups: ruleGroups(alertsFile) }, { lineWidth: 0 });
}

/** Writes the rule groups of a PrometheusRule as a plain Prometheus rules file. */
export function writePlainRules(alertsFile: string, outFile: string): string {
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, plainRules(alertsFile));
  return outFile;
}

export interface CommandResult {
  readonly status: number;
  readonly output: string;
}

/**
 * `promtool check rules` and `promtool test rules` on the alerts: the plain rules
 * and a copy of the unit-test file go to a temporary folder. Returns each
 * command's status and output.
 */
export function checkAlertRules({
  alertsFile = ALERTS_FILE,
  testFile = ALERTS_TEST_FILE,
  quiet = true,
}: { readonly alertsFile?: string; readonly testFile?: string; readonly quiet?: boolean } = {}): {
  readonly check: CommandResult;
  readonly test: CommandResult;
} {
  const { promtool } = ensurePrometheus({ quiet });
  const dir = mkdtempSync(join(tmpdir(), 'sc-promtool-'));
  try {
    const rules = writePlainRules(alertsFile, join(dir, PLAIN_RULES_NAME));
    copyFileSync(testFile, join(dir, 'alerts.test.yaml'));
    const run = (args: readonly string[]): CommandResult => {
      const r = spawnSync(promtool, args, { encoding: 'utf8', cwd: dir });
      return { status: r.status ?? 1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
    };
    return { check: run(['check', 'rules', rules]), test: run(['test', 'rules', join(dir, 'alerts.test.yaml')]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface ScrapeTarget {
  /** host:port */
  readonly target: string;
  readonly labels?: Readonly<Record<string, string>>;
}

export interface PrometheusOptions {
  readonly port?: number;
  readonly scrapeTargets: readonly ScrapeTarget[];
  readonly dataDir: string;
  readonly scrapeIntervalSeconds?: number;
  readonly ruleFiles?: readonly string[];
  readonly quiet?: boolean;
}

export interface PrometheusHandle {
  readonly url: string;
  readonly port: number;
  readonly configFile: string;
  readonly logFile: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/**
 * Starts Prometheus as a child process: listening on 127.0.0.1:`port`, storing in
 * `dataDir`, scraping `scrapeTargets` ({ target: 'host:port', labels }) every
 * `scrapeIntervalSeconds` and evaluating `ruleFiles` as often. Resolves once
 * /-/ready answers, with its URL and `stop()`.
 */
export async function startPrometheus({
  port = 9090,
  scrapeTargets,
  dataDir,
  scrapeIntervalSeconds = 1,
  ruleFiles = [],
  quiet = false,
}: PrometheusOptions): Promise<PrometheusHandle> {
  const { prometheus } = ensurePrometheus({ quiet });
  mkdirSync(dataDir, { recursive: true });
  const configFile = join(dataDir, 'prometheus.yml');
  const interval = `${scrapeIntervalSeconds}s`;
  writeFileSync(
    configFile,
    stringify({
      global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
      rule_files: ruleFiles,
      scrape_configs: [
        {
          job_name: 'sc-projections',
          metrics_path: '/metrics',
          static_configs: scrapeTargets.map((t) => ({ targets: [t.target], labels: t.labels ?? {} })),
        },
      ],
    }),
  );
  const logFile = join(dataDir, 'prometheus.log');
  const out: string[] = [];
  const child = spawn(
    prometheus,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dataDir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const keep = (chunk: Buffer): void => {
    out.push(chunk.toString());
    writeFileSync(logFile, out.join(''));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${out.join('')}`);
    const ready = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prometheus did not become ready within 60s:\n${out.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  log(quiet, `Prometheus ready on ${url}, scraping ${scrapeTargets.map((t) => t.target).join(', ')} every ${interval}`);
  return {
    url,
    port,
    configFile,
    logFile,
    pid: child.pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Stops what startPrometheus returned. */
export function stopPrometheus(handle: PrometheusHandle): Promise<void> {
  return handle.stop();
}

/** Runs until SIGINT or SIGTERM, then stops Prometheus. */
function untilSignal(handle: PrometheusHandle): Promise<void> {
  return new Promise((r) => {
    const stop = (): void => void handle.stop().then(r);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** The options of `serve`, as JSON on the command line. */
function serveOptions(json: string | undefined): PrometheusOptions {
  const options: unknown = JSON.parse(json ?? '{}');
  if (!isRecord(options) || !Array.isArray(options['scrapeTargets']) || typeof options['dataDir'] !== 'string') {
    throw new Error('serve: the options need scrapeTargets (an array) and dataDir');
  }
  return options as unknown as PrometheusOptions;
}

const COMMANDS: Readonly<Record<string, (arg: string | undefined) => Promise<void>>> = {
  ensure: async () => console.log(JSON.stringify(ensurePrometheus())),
  // For a Prometheus without the Operator: the alerts as a plain rules file on stdout.
  rules: async (arg) => void process.stdout.write(plainRules(arg ? resolve(arg) : ALERTS_FILE)),
  // `check [alerts file]`: another PrometheusRule against the same unit tests (e.g. a deliberately broken one).
  check: async (arg) => {
    const { check, test } = checkAlertRules({ quiet: false, alertsFile: arg ? resolve(arg) : ALERTS_FILE });
    console.log(`$ promtool check rules (the PrometheusRule's spec)\n${check.output}`);
    console.log(`$ promtool test rules deploy/monitoring/alerts.test.yaml\n${test.output}`);
    if (check.status !== 0 || test.status !== 0) process.exitCode = 1;
  },
  // For tests: options as JSON; prints `ready <url>` and runs until SIGTERM.
  serve: async (arg) => {
    const handle = await startPrometheus({ quiet: true, ...serveOptions(arg) });
    console.log(`ready ${handle.url}`);
    await untilSignal(handle);
  },
  // Beside `npm start`: the workers on their probe ports (START_HTTP_PORT_BASE, else their defaults), with the alert rules.
  up: async () => {
    const base = process.env['START_HTTP_PORT_BASE'] ? Number(process.env['START_HTTP_PORT_BASE']) : undefined;
    const ports = probePorts(base);
    const dir = resolve(process.env['LOCAL_INFRA_DIR'] ?? join(repoRoot, '.local-infra'), 'prometheus');
    const rules = writePlainRules(ALERTS_FILE, join(dir, PLAIN_RULES_NAME));
    const handle = await startPrometheus({
      port: Number(process.env['LOCAL_PROMETHEUS_PORT'] ?? 9090),
      dataDir: dir,
      scrapeIntervalSeconds: 5,
      ruleFiles: [rules],
      // `pod` is what the Prometheus Operator adds from the ServiceMonitor; the alerts group by it.
      scrapeTargets: WORKERS.map(({ app }, i) => ({
        target: `127.0.0.1:${ports[i]}`,
        labels: { pod: `${app}-local` },
      })),
    });
    console.log(
      `Prometheus on ${handle.url} (data in ${dir}); point Grafana's Prometheus data source at it. Ctrl-C stops it.`,
    );
    await untilSignal(handle);
  },
};

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === __filename;
if (isMain) {
  const [command, arg] = process.argv.slice(2);
  const run = command !== undefined && Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    console.error(
      'usage: node --import tsx tools/local-infra/prometheus.ts ensure | check [alerts.yaml] | rules [alerts.yaml] | up | serve <json>',
    );
    process.exit(2);
  }
  run(arg).catch((err: unknown) => {
    console.error(`[prometheus] ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
