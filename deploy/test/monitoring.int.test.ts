import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { provisionTopics } from '@sc/kafka-runtime';
import { WORKERS } from '@sc/read-models';
import { DEFAULT_STREAM, createEndToEndWorld, eventually, startFaultProxy, startWorkerProcess } from '@sc/testing';
import type { EndToEndWorld, FaultProxy, WorkerProcess } from '@sc/testing';
import { annotationLabels, legendLabels, operandsOf, problemsOf, substituteVariables } from './promql';
import type { Sample } from './promql';

// A real Prometheus (Debian's, installed by tools/local-infra/prometheus.ts where missing) scrapes the three
// built workers during a short end-to-end run; then every PromQL expression of the Grafana dashboard and of the
// alerts is evaluated through its HTTP API and must return series with the labels its legend or alert shows.
const root = resolve(__dirname, '..', '..');
const monitoring = join(root, 'deploy', 'monitoring');
const cli = join(root, 'tools', 'local-infra', 'prometheus.ts');

const PROJECTIONS = WORKERS.map((w) => w.projection.name);
const podOf = (app: string) => `${app}-0`;

type Rule = { alert: string; expr: string; annotations: Record<string, string> };
type Panel = { title: string; targets: { refId: string; expr: string; legendFormat?: string }[] };
type Variable = { name: string; type: string; query?: string };
const alertsDoc = parse(readFileSync(join(monitoring, 'alerts.yaml'), 'utf8')) as {
  spec: { groups: { rules: Rule[] }[] };
};
const rules = alertsDoc.spec.groups.flatMap((g) => g.rules).filter((r) => r.alert);
const dashboard = JSON.parse(readFileSync(join(monitoring, 'grafana-dashboard.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: Variable[] };
};

interface QueryResult {
  readonly status: string;
  readonly error?: string;
  readonly data?: { readonly resultType: string; readonly result: Sample[] };
}

/** An expression to check: where it comes from, the PromQL, the labels its result must carry. */
interface Check {
  readonly what: string;
  readonly expr: string;
  readonly labels: readonly string[];
  /** The whole alert condition: must evaluate, may be empty (not firing). */
  readonly mayBeEmpty?: boolean;
}

describe('monitoring against a real Prometheus scraping the three workers', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-prometheus-'));
  const worlds: EndToEndWorld[] = [];
  const workers: WorkerProcess[] = [];
  let prometheus: { url: string; child: ChildProcess } | undefined;
  let proxy: FaultProxy | undefined;
  let kubelet: NodeJS.Timeout | undefined;

  afterAll(async () => {
    if (kubelet) clearInterval(kubelet);
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    if (prometheus) await stopChild(prometheus.child);
    await proxy?.close();
    await Promise.all(worlds.map((w) => w.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  const query = async (expr: string): Promise<QueryResult> => {
    const response = await fetch(`${prometheus!.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    return (await response.json()) as QueryResult;
  };
  const problemsOfCheck = async (check: Check): Promise<string[]> => {
    const r = await query(check.expr);
    if (r.status !== 'success') return [`${r.status}: ${r.error}`];
    if (check.mayBeEmpty) return [];
    return problemsOf(r.data!.result, { labels: check.labels, projections: PROJECTIONS });
  };
  const alerts = async () =>
    (
      (await (await fetch(`${prometheus!.url}/api/v1/alerts`)).json()) as {
        data: { alerts: { labels: Record<string, string>; state: string }[] };
      }
    ).data.alerts;

  it('evaluates every expression of the dashboard and the alerts to series with the labels they show', async () => {
    const prometheusBinaries = spawnSync(process.execPath, ['--import', 'tsx', cli, 'ensure'], {
      cwd: root,
      encoding: 'utf8',
    });
    expect({
      status: prometheusBinaries.status,
      stderr: prometheusBinaries.status ? prometheusBinaries.stderr : '',
    }).toEqual({
      status: 0,
      stderr: '',
    });

    // Three workers, each in its own namespace, on a stream with poison for each (so each dead-letters).
    for (const [i, target] of WORKERS.entries()) {
      const world = await createEndToEndWorld(
        target,
        { seed: 910 + i, ...DEFAULT_STREAM, users: 60, posts: 60, promotions: 20, orders: 60, poisonRate: 0.03 },
        { createTopicsNow: false },
      );
      worlds.push(world);
      // Waits for every partition's leader (a busy broker may take a moment after creating them).
      await provisionTopics(
        world.admin,
        [...target.topics.map((t) => `${world.prefix}${t}`), world.deadLetterTopic].map((topic) => ({
          topic,
          numPartitions: 6,
        })),
      );
      expect({ app: target.app, poison: world.records.some((r) => r.kind === 'poison') }).toEqual({
        app: target.app,
        poison: true,
      });
    }
    // MongoDB unreachable at first: every worker retries opening its store and is not ready.
    const mongo = new URL(process.env['MONGO_URL']!);
    proxy = await startFaultProxy(mongo.hostname, Number(mongo.port || 27017));
    proxy.pause();
    for (const [i, target] of WORKERS.entries()) {
      workers.push(
        startWorkerProcess(target.app, { ...worlds[i]!.env, MONGO_URL: `mongodb://127.0.0.1:${proxy.port}` }),
      );
    }
    const ports = await Promise.all(workers.map((w) => w.port()));
    // As the kubelet does: readiness probed every second (the probe is what refreshes sc_projection_ready).
    kubelet = setInterval(() => {
      for (const w of workers) w.get('/readyz').catch(() => undefined);
    }, 1000);

    const rulesFile = join(dir, 'alerts.rules.yaml');
    writeFileSync(rulesFile, stringify({ groups: alertsDoc.spec.groups }, { lineWidth: 0 }));
    prometheus = await startPrometheus({
      port: await freePort(),
      dataDir: join(dir, 'data'),
      scrapeIntervalSeconds: 1,
      ruleFiles: [rulesFile],
      // `pod` is what the Prometheus Operator adds from the ServiceMonitor.
      scrapeTargets: WORKERS.map((w, i) => ({ target: `127.0.0.1:${ports[i]}`, labels: { pod: podOf(w.app) } })),
    });

    await eventually(
      'every worker retrying its store and not ready, the not-ready alert pending for each',
      async () => {
        const pending = (await alerts()).filter(
          (a) => a.labels['alertname'] === 'ProjectionWorkerNotReady' && a.state === 'pending',
        );
        const retries = await query('sum by (projection) (sc_projection_retries_total)');
        return (
          WORKERS.every((w) =>
            pending.some((a) => a.labels['projection'] === w.projection.name && a.labels['pod'] === podOf(w.app)),
          ) && retries.data?.result.length === WORKERS.length
        );
      },
      90_000,
      1000,
    );

    proxy.resume();
    await Promise.all(worlds.map((w) => w.produce(w.records)));
    await Promise.all(worlds.map((w) => w.waitForLagZero(240_000)));

    // The dashboard's variables: the projection variable's label_values query, then All of them.
    const values: Record<string, string> = {};
    for (const variable of dashboard.templating.list.filter((v) => v.type === 'query')) {
      const match = /^label_values\((\w+),\s*(\w+)\)$/.exec(variable.query ?? '');
      expect({ variable: variable.name, query: variable.query, supported: match !== null }).toMatchObject({
        supported: true,
      });
      const [, metric, label] = match!;
      const response = (await (
        await fetch(`${prometheus.url}/api/v1/label/${label}/values?match[]=${encodeURIComponent(metric!)}`)
      ).json()) as { data: string[] };
      expect(response.data).toEqual(expect.arrayContaining(PROJECTIONS));
      values[variable.name] = `(${response.data.join('|')})`;
    }
    const checks: Check[] = [
      ...dashboard.panels.flatMap((panel) =>
        panel.targets.map((t) => ({
          what: `panel "${panel.title}" ${t.refId}`,
          expr: substituteVariables(t.expr, values),
          labels: legendLabels(t.legendFormat),
        })),
      ),
      ...rules.flatMap((rule) => [
        { what: `alert ${rule.alert}`, expr: rule.expr, labels: [], mayBeEmpty: true },
        ...operandsOf(rule.expr).map((operand, i) => ({
          what: `alert ${rule.alert} operand ${i + 1}`,
          expr: operand,
          labels: annotationLabels(rule.annotations),
        })),
      ]),
    ];
    expect(checks.length).toBeGreaterThan(dashboard.panels.length + rules.length);

    // Each must pass at some point of the run: windows fill up (deriv over 10m at 1m steps needs two steps),
    // and a series counts as new for 5 minutes only.
    const passed = new Set<string>();
    let last: Record<string, string[]> = {};
    await eventually(
      'every expression returning series with its labels',
      async () => {
        last = {};
        for (const check of checks.filter((c) => !passed.has(c.what))) {
          const problems = await problemsOfCheck(check);
          if (problems.length === 0) passed.add(check.what);
          else last[`${check.what}: ${check.expr}`] = problems;
        }
        return passed.size === checks.length;
      },
      240_000,
      3000,
    ).catch(() => undefined);
    expect(last).toEqual({});

    // Prometheus evaluated every rule without error, and the dead-letter alert fires for each reason of each stream.
    const ruleGroups = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    expect(ruleGroups.data.groups.flatMap((g) => g.rules.map((r) => [r.name, r.health, r.lastError ?? '']))).toEqual(
      rules.map((r) => [r.alert, 'ok', '']),
    );
    const expectedDeadLetters = WORKERS.flatMap((w, i) =>
      [...new Set(worlds[i]!.records.filter((r) => r.kind === 'poison').map((r) => r.expectedReason))].map(
        (reason) => `${w.projection.name} ${reason}`,
      ),
    ).sort();
    const firing = (await alerts())
      .filter((a) => a.labels['alertname'] === 'ProjectionDeadLetters' && a.state === 'firing')
      .map((a) => `${a.labels['projection']} ${a.labels['reason']}`)
      .sort();
    expect(firing).toEqual(expectedDeadLetters);

    // The same checks catch a renamed metric, a label typo and an unknown variable.
    const events = dashboard.panels
      .flatMap((p) => p.targets)
      .find((t) => t.expr.includes('sc_projection_events_total'))!;
    const broken = (expr: string) =>
      problemsOfCheck({
        what: 'broken',
        expr: substituteVariables(expr, values),
        labels: legendLabels(events.legendFormat),
      });
    expect(await broken(events.expr.replace('sc_projection_events_total', 'sc_projection_event_total'))).toEqual([
      'no series',
    ]);
    expect(await broken(events.expr.replace('by (projection, outcome)', 'by (projection, outcom)'))).toEqual([
      expect.stringMatching(/series without label outcome$/),
    ]);
    expect(() => substituteVariables(events.expr.replace('$projection', '$projetcion'), values)).toThrow();
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** Prometheus through tools/local-infra/prometheus.ts (run by tsx, in a process of its own). */
async function startPrometheus(options: Record<string, unknown>): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', cli, 'serve', JSON.stringify(options)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
      const ready = /^ready (\S+)$/m.exec(output);
      if (ready) resolveUrl(ready[1]!);
    });
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => reject(new Error(`prometheus.ts serve exited (${code}): ${output}`)));
  });
  return { url, child };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => {
    child.once('exit', () => r());
    child.kill('SIGTERM');
  });
}
