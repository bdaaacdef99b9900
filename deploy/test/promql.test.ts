import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { annotationLabels, legendLabels, operandsOf, problemsOf, substituteVariables } from './promql';

describe('PromQL operands', () => {
  it('splits at top-level set and comparison operators, by precedence, and drops number literals', () => {
    expect(operandsOf('min by (projection, pod) (sc_projection_ready) == 0')).toEqual([
      'min by (projection, pod) (sc_projection_ready)',
    ]);
    expect(operandsOf('sum by (p) (a) > 1000 and deriv(sum by (p) (a)[10m:1m]) > 0')).toEqual([
      'sum by (p) (a)',
      'deriv(sum by (p) (a)[10m:1m])',
    ]);
    expect(operandsOf('x > bool 3 or (y unless on (p) z) or sum(w{a=~"x|y", b!="or"}) >= 2')).toEqual([
      'x',
      'y',
      'z',
      'sum(w{a=~"x|y", b!="or"})',
    ]);
    // Operators inside aggregations, label matchers and names stay where they are.
    expect(operandsOf('sum by (p) (a unless a offset 5m) > 0')).toEqual(['sum by (p) (a unless a offset 5m)']);
    expect(operandsOf('order_total / sand_bucket')).toEqual(['order_total / sand_bucket']);
    expect(operandsOf('(a) / (b)')).toEqual(['(a) / (b)']);
  });

  it('finds every operand of the dead-letter alert', () => {
    type Rule = { alert: string; expr: string };
    const rules = (
      parse(readFileSync(join(__dirname, '..', 'monitoring', 'alerts.yaml'), 'utf8')) as {
        spec: { groups: { rules: Rule[] }[] };
      }
    ).spec.groups.flatMap((g) => g.rules);
    const deadLetters = rules.find((r) => r.alert === 'ProjectionDeadLetters')!;
    expect(operandsOf(deadLetters.expr).map((o) => o.replace(/\s+/g, ' '))).toEqual([
      'sum by (projection, reason) (increase(sc_projection_dead_lettered_total[5m]))',
      'sum by (projection, reason) ( (sc_projection_dead_lettered_total unless sc_projection_dead_lettered_total offset 5m) and ignoring (reason) (process_start_time_seconds offset 5m or process_start_time_seconds > time() - 360) )',
    ]);
  });
});

describe('Grafana variables and labels', () => {
  it('substitutes template variables in every syntax, and refuses unknown ones', () => {
    expect(
      substituteVariables(
        'rate(x{p=~"$projection"}[$__rate_interval]) + y{p=~"${projection:regex}"} + [[projection]]',
        {
          projection: '(a|b)',
        },
      ),
    ).toBe('rate(x{p=~"(a|b)"}[1m]) + y{p=~"(a|b)"} + (a|b)');
    expect(() => substituteVariables('x{p=~"$projetcion"}', { projection: 'a' })).toThrow(/\$projetcion/);
  });

  it('reads the labels a legend or an annotation shows', () => {
    expect(legendLabels('{{projection}} {{ topic }}/{{partition}}')).toEqual(['projection', 'topic', 'partition']);
    expect(legendLabels(undefined)).toEqual([]);
    expect(
      annotationLabels({ summary: '{{ $labels.projection }} pod {{ $labels.pod }} ({{$labels.projection}})' }),
    ).toEqual(['projection', 'pod']);
  });

  it('reports a result without series, without a shown label, or without a projection', () => {
    const want = { labels: ['projection', 'reason'], projections: ['a', 'b'] };
    expect(problemsOf([], want)).toEqual(['no series']);
    expect(
      problemsOf([{ metric: { projection: 'a', reason: 'x' } }, { metric: { projection: 'b', reason: 'y' } }], want),
    ).toEqual([]);
    expect(problemsOf([{ metric: { projection: 'a' } }], want)).toEqual([
      '1 of 1 series without label reason',
      'no series for b',
    ]);
  });
});
