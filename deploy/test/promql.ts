// What the monitoring tests need to read PromQL and Grafana expressions: no PromQL parser ships with
// Prometheus 2.42's API, so operands are found by a scanner aware of brackets and strings.

const CLOSING: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** Calls `visit(i)` for every index of `expr` outside brackets and string literals. */
function forEachTopLevel(expr: string, visit: (i: number) => void): void {
  const stack: string[] = [];
  for (let i = 0; i < expr.length; i++) {
    const c = expr[i]!;
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c) j += c !== '`' && expr[j] === '\\' ? 2 : 1;
      i = j;
      continue;
    }
    if (CLOSING[c]) stack.push(CLOSING[c]!);
    else if (c === stack[stack.length - 1]) stack.pop();
    else if (stack.length === 0) visit(i);
  }
}

/** `(a or b)` → `a or b`, only when the outer parentheses enclose the whole expression. */
function unwrap(expr: string): string {
  let e = expr.trim();
  for (;;) {
    if (!e.startsWith('(') || !e.endsWith(')')) return e;
    let depth = 0;
    let enclosesAll = true;
    for (let i = 0; i < e.length; i++) {
      if (e[i] === '(') depth++;
      else if (e[i] === ')') depth--;
      if (depth === 0 && i < e.length - 1) {
        enclosesAll = false;
        break;
      }
    }
    if (!enclosesAll) return e;
    e = e.slice(1, -1).trim();
  }
}

// Lowest precedence first: `or`, then `and`/`unless`, then comparisons.
const LEVELS: RegExp[] = [/^or\b/, /^(and|unless)\b/, /^(==|!=|>=|<=|>|<)/];
const MODIFIERS = /^(bool\b|(on|ignoring|group_left|group_right)\s*(\([^)]*\))?)\s*/;

/** Splits `expr` at every top-level match of one operator level; undefined when there is none. */
function splitAt(expr: string, level: RegExp): string[] | undefined {
  const cuts: { start: number; end: number }[] = [];
  forEachTopLevel(expr, (i) => {
    const before = expr[i - 1] ?? ' ';
    if (/[a-zA-Z0-9_:]/.test(before) && /^[a-z]/.test(expr[i]!)) return;
    const match = level.exec(expr.slice(i));
    if (match) cuts.push({ start: i, end: i + match[0].length });
  });
  if (cuts.length === 0) return undefined;
  const parts: string[] = [];
  let from = 0;
  for (const cut of cuts) {
    parts.push(expr.slice(from, cut.start));
    from = cut.end;
  }
  parts.push(expr.slice(from));
  return parts.map((p) => {
    let rest = p.trim();
    for (let m = MODIFIERS.exec(rest); m && m[0].length > 0; m = MODIFIERS.exec(rest)) rest = rest.slice(m[0].length);
    return rest;
  });
}

/**
 * The operands of an expression's top-level set and comparison operators (`or`,
 * `and`, `unless`, `==`, `>`…), recursively, without number literals: e.g. for an
 * alert, the vectors its condition compares. An expression without such operators
 * is its own single operand.
 */
export function operandsOf(expr: string): string[] {
  const e = unwrap(expr);
  for (const level of LEVELS) {
    const parts = splitAt(e, level);
    if (parts) return parts.flatMap(operandsOf);
  }
  return /^[-+]?(\d+(\.\d*)?|\.\d+)(e[-+]?\d+)?$/i.test(e) ? [] : [e];
}

/** Grafana's built-in interval variables, as a dashboard on a 15 s scrape would get them. */
export const GRAFANA_BUILTINS: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '15s',
  __range: '1h',
};

/**
 * Replaces Grafana template variables (`$name`, `${name}`, `${name:format}`,
 * `[[name]]`) by the given values or Grafana's built-ins; throws on a variable it
 * does not know, so a typo in a variable name fails too.
 */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>>): string {
  const all = { ...GRAFANA_BUILTINS, ...values };
  const lookup = (name: string) => {
    const value = all[name];
    if (value === undefined) throw new Error(`unknown template variable $${name} in ${expr}`);
    return value;
  };
  return expr
    .replace(/\$\{(\w+)(?::\w+)?\}/g, (_, name: string) => lookup(name))
    .replace(/\[\[(\w+)\]\]/g, (_, name: string) => lookup(name))
    .replace(/\$(\w+)/g, (_, name: string) => lookup(name));
}

/** The labels a Grafana legend shows: `{{projection}} {{topic}}/{{partition}}` → projection, topic, partition. */
export function legendLabels(legendFormat: string | undefined): string[] {
  return [...(legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]!);
}

/** The labels an alert's annotations use: `{{ $labels.projection }}` → projection. */
export function annotationLabels(annotations: Readonly<Record<string, string>>): string[] {
  return [...new Set(Object.values(annotations).flatMap((a) => [...a.matchAll(/\$labels\.(\w+)/g)].map((m) => m[1]!)))];
}

/** One series of an instant query's result. */
export interface Sample {
  readonly metric: Readonly<Record<string, string>>;
}

/**
 * What is wrong with an instant query's result: no series, a series without one of
 * the labels the legend or alert shows, or a projection missing.
 */
export function problemsOf(
  result: readonly Sample[],
  { labels, projections }: { readonly labels: readonly string[]; readonly projections: readonly string[] },
): string[] {
  if (result.length === 0) return ['no series'];
  const problems: string[] = [];
  for (const label of labels) {
    const without = result.filter((s) => !s.metric[label]);
    if (without.length > 0) problems.push(`${without.length} of ${result.length} series without label ${label}`);
  }
  const seen = new Set(result.map((s) => s.metric['projection']));
  const missing = projections.filter((p) => !seen.has(p));
  if (missing.length > 0) problems.push(`no series for ${missing.join(', ')}`);
  return problems;
}
