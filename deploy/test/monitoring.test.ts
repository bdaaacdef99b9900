import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

// promtool (Debian's `prometheus` package, installed by tools/local-infra/prometheus.ts where missing) on the
// alert rules: `check rules`, then the unit tests of alerts.test.yaml; and deliberately broken copies must fail.
const root = resolve(__dirname, '..', '..');
const alertsFile = join(root, 'deploy', 'monitoring', 'alerts.yaml');
const testFile = join(root, 'deploy', 'monitoring', 'alerts.test.yaml');
const cli = join(root, 'tools', 'local-infra', 'prometheus.ts');

function check(file = alertsFile): { status: number; output: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'check', file], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { status: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}

type Rule = { alert: string; expr: string; for?: string; annotations: Record<string, string> };
const alerts = (parse(readFileSync(alertsFile, 'utf8')) as { spec: { groups: { rules: Rule[] }[] } }).spec.groups
  .flatMap((g) => g.rules)
  .filter((r) => r.alert);

describe('alerts.yaml with promtool', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-alerts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes `promtool check rules` and every unit test of alerts.test.yaml', () => {
    const { status, output } = check();
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS: 3 rules found') });
    expect(output).toMatch(/Unit Testing:.*\n\s+SUCCESS/);
  });

  it('has unit tests for each alert that fire it and that keep it quiet, and none for alerts that do not exist', () => {
    const tests = (
      parse(readFileSync(testFile, 'utf8')) as {
        tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
      }
    ).tests.flatMap((t) => t.alert_rule_test);
    expect(alerts.map((a) => a.alert).sort()).toEqual([
      'ProjectionDeadLetters',
      'ProjectionLagGrowing',
      'ProjectionWorkerNotReady',
    ]);
    for (const { alert } of alerts) {
      const mine = tests.filter((t) => t.alertname === alert);
      expect({ alert, fires: mine.some((t) => t.exp_alerts.length > 0) }).toEqual({ alert, fires: true });
      expect({ alert, quiet: mine.some((t) => t.exp_alerts.length === 0) }).toEqual({ alert, quiet: true });
    }
    expect(tests.filter((t) => !alerts.some((a) => a.alert === t.alertname))).toEqual([]);
  });

  // Each mistake must make `promtool check rules` or the unit tests fail.
  const mistakes: [string, (text: string) => string][] = [
    [
      'a syntax error',
      (t) =>
        t.replace('min by (projection, pod) (sc_projection_ready)', 'min by (projection, pod (sc_projection_ready)'),
    ],
    ['a renamed readiness metric', (t) => t.replaceAll('sc_projection_ready', 'sc_projection_readiness')],
    ['a renamed lag metric', (t) => t.replaceAll('sc_projection_consumer_lag', 'sc_projection_lag')],
    [
      'a renamed dead-letter metric',
      (t) => t.replaceAll('sc_projection_dead_lettered_total', 'sc_projection_dead_letters_total'),
    ],
    [
      'lag summed over pods (a partition counted twice)',
      (t) =>
        t.replaceAll(
          'max by (projection, topic, partition) (sc_projection_consumer_lag)',
          'sc_projection_consumer_lag',
        ),
    ],
    ['lag alert without "growing"', (t) => t.replace(/\n\s*and\n\s*deriv\(.*\) > 0\n/, '\n')],
    [
      'dead letters by rate only (a first dead letter missed)',
      (t) => t.replace(/\n\s*or\n\s*sum by \(projection, reason\) \([\s\S]*?\n\s*\) > 0\n/, '\n'),
    ],
    [
      'dead letters alerting after a Prometheus restart',
      (t) =>
        t.replace(
          'process_start_time_seconds offset 5m or process_start_time_seconds > time() - 360',
          'process_start_time_seconds',
        ),
    ],
    ['not-ready after 1 minute', (t) => t.replace(/(sc_projection_ready\) == 0\n\s*for: )5m/, '$11m')],
    [
      'not-ready for any pod of the projection',
      (t) => t.replace('min by (projection, pod) (sc_projection_ready)', 'min by (projection) (sc_projection_ready)'),
    ],
  ];
  it.each(mistakes)('fails on %s', (_name, mutate) => {
    const original = readFileSync(alertsFile, 'utf8');
    const broken = mutate(original);
    expect(broken).not.toBe(original);
    const file = join(dir, `${_name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, broken);
    expect(check(file).status).not.toBe(0);
  });
});
