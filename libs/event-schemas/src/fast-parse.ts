import type { z } from 'zod';

/** What a fast parser returns when it cannot vouch for its input: zod must decide. */
export const ASK_ZOD: unique symbol = Symbol('ask zod');

/**
 * A parser compiled from a zod schema for the inputs that schema accepts.
 * It returns zod's own output for an input it can vouch for, and {@link ASK_ZOD}
 * for anything else: a rejection, or an input outside what it understands.
 */
export type FastParser = (input: unknown) => unknown;

// Why: zod's general machinery (issue collection, checks with `when`/`abort`,
// async detection) costs most of the decoder's time, though nearly every record
// is valid. A fast parser may be stricter than zod, never laxer: whatever it
// refuses goes to zod, so the verdict and the issues stay zod's own. It is
// derived from the schema's definition, so the contract is still declared once;
// a schema it does not understand compiles to nothing and zod does all.

interface ZodInternals {
  readonly def: Readonly<Record<string, unknown>> & { readonly type: string };
  readonly optin?: string;
  readonly optout?: string;
}
const internals = (schema: unknown): ZodInternals => (schema as { _zod: ZodInternals })._zod;

class Unsupported extends Error {}

type Check = (value: never) => boolean;

/**
 * Compiles `schema` into a {@link FastParser}, or gives `undefined` when the
 * schema uses anything this compiler does not know (then use zod alone).
 */
export function compileFastParser(schema: z.ZodType): FastParser | undefined {
  try {
    return compile(schema);
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

function compile(schema: unknown): FastParser {
  const zod = internals(schema);
  const def = zod.def;
  switch (def.type) {
    case 'string': {
      if (def['coerce']) throw new Unsupported('coerce');
      // A string format (e.g. an ISO timestamp) is its own first check.
      const checks = [...(def['check'] === undefined ? [] : [checkOf(def)]), ...checksOf(def)];
      return (input) => (typeof input === 'string' && passes(checks, input) ? input : ASK_ZOD);
    }
    case 'number': {
      if (def['coerce'] || def['check'] !== undefined) throw new Unsupported('number format schema');
      const checks = checksOf(def);
      return (input) =>
        typeof input === 'number' && Number.isFinite(input) && passes(checks, input) ? input : ASK_ZOD;
    }
    case 'boolean':
      if (def['coerce'] || checksOf(def).length > 0) throw new Unsupported('boolean checks');
      return (input) => (typeof input === 'boolean' ? input : ASK_ZOD);
    case 'enum': {
      noChecks(def);
      const values = new Set(
        Object.values(def['entries'] as Record<string, unknown>).filter((v) => typeof v === 'string'),
      );
      return (input) => (typeof input === 'string' && values.has(input) ? input : ASK_ZOD);
    }
    case 'literal': {
      noChecks(def);
      const values = new Set(def['values'] as readonly unknown[]);
      return (input) => (values.has(input) ? input : ASK_ZOD);
    }
    case 'custom': {
      noChecks(def);
      const fn = def['fn'] as (input: unknown) => unknown;
      return (input) => (verdictOf(userCode(() => fn(input))) ? input : ASK_ZOD);
    }
    case 'optional': {
      noChecks(def);
      const inner = compile(def['innerType']);
      return (input) => (input === undefined ? undefined : inner(input));
    }
    case 'nullable': {
      noChecks(def);
      const inner = compile(def['innerType']);
      return (input) => (input === null ? null : inner(input));
    }
    case 'pipe': {
      noChecks(def);
      const first = compile(def['in']);
      const second = compile(def['out']);
      return (input) => {
        const middle = first(input);
        return middle === ASK_ZOD ? ASK_ZOD : second(middle);
      };
    }
    case 'transform': {
      noChecks(def);
      const transform = def['transform'] as (value: unknown, context: unknown) => unknown;
      return (input) => {
        const context = new TransformContext(input);
        const output = userCode(() => transform(input, context));
        return context.issues.length > 0 || output instanceof Promise ? ASK_ZOD : output;
      };
    }
    case 'array': {
      const element = compile(def['element']);
      const checks = checksOf(def);
      return (input) => {
        if (!Array.isArray(input)) return ASK_ZOD;
        const output: unknown[] = new Array<unknown>(input.length);
        for (let i = 0; i < input.length; i++) {
          const value = element(input[i]);
          if (value === ASK_ZOD) return ASK_ZOD;
          output[i] = value;
        }
        return passes(checks, output) ? output : ASK_ZOD;
      };
    }
    case 'object':
      return compileObject(def);
    default:
      throw new Unsupported(def.type);
  }
}

function compileObject(def: ZodInternals['def']): FastParser {
  noChecks(def);
  if (def['catchall'] !== undefined) throw new Unsupported('catchall');
  const fields = Object.entries(def['shape'] as Record<string, unknown>).map(([key, schema]) => ({
    key,
    parse: compile(schema),
    // As zod: an absent key is left out only where the field's schema is optional in and out.
    omittable: internals(schema).optin === 'optional' && internals(schema).optout === 'optional',
  }));
  return (input) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) return ASK_ZOD;
    const record = input as Record<string, unknown>;
    const output: Record<string, unknown> = {};
    for (const { key, parse, omittable } of fields) {
      const present = key in record;
      if (!present) {
        if (omittable) continue;
        return ASK_ZOD;
      }
      const value = parse(record[key]);
      if (value === ASK_ZOD) return ASK_ZOD;
      output[key] = value;
    }
    return output;
  };
}

function noChecks(def: ZodInternals['def']): void {
  if (checksOf(def).length > 0) throw new Unsupported(`checks on ${def.type}`);
}

function checksOf(def: ZodInternals['def']): Check[] {
  const checks = (def['checks'] ?? []) as readonly unknown[];
  return checks.map((check) => checkOf(internals(check).def));
}

function passes(checks: readonly Check[], value: unknown): boolean {
  for (const check of checks) if (!check(value as never)) return false;
  return true;
}

function checkOf(def: ZodInternals['def']): Check {
  switch (def['check']) {
    case 'min_length': {
      const minimum = def['minimum'] as number;
      return (value: { length: number }) => value.length >= minimum;
    }
    case 'max_length': {
      const maximum = def['maximum'] as number;
      return (value: { length: number }) => value.length <= maximum;
    }
    case 'length_equals': {
      const length = def['length'] as number;
      return (value: { length: number }) => value.length === length;
    }
    case 'greater_than': {
      const bound = def['value'] as number;
      return def['inclusive'] ? (value: number) => value >= bound : (value: number) => value > bound;
    }
    case 'less_than': {
      const bound = def['value'] as number;
      return def['inclusive'] ? (value: number) => value <= bound : (value: number) => value < bound;
    }
    case 'number_format':
      if (def['format'] !== 'safeint') throw new Unsupported(`number format ${String(def['format'])}`);
      return (value: number) => Number.isSafeInteger(value);
    case 'string_format': {
      // Only formats that zod checks by their pattern alone; others (url, email…) do more.
      const pattern = def['pattern'];
      if ((def['format'] !== 'regex' && def['format'] !== 'datetime') || !(pattern instanceof RegExp))
        throw new Unsupported(`string format ${String(def['format'])}`);
      if (pattern.global || pattern.sticky) throw new Unsupported('stateful pattern');
      return (value: string) => pattern.test(value);
    }
    case 'custom': {
      const fn = def['fn'] as (value: unknown) => unknown;
      return (value: unknown) => verdictOf(userCode(() => fn(value)));
    }
    default:
      throw new Unsupported(`check ${String(def['check'])}`);
  }
}

/** What a transform sees of zod's parse context: its value and a way to report issues. */
class TransformContext {
  readonly issues: unknown[] = [];
  constructor(readonly value: unknown) {}
  addIssue(issue: unknown): void {
    this.issues.push(issue);
  }
}

/** Runs a schema's own code (refinement, transform); if it throws, zod runs it again and decides. */
function userCode(run: () => unknown): unknown {
  try {
    return run();
  } catch {
    return ASK_ZOD;
  }
}

/** A refinement's result as zod reads it; a promise (an async refinement) is zod's to handle. */
function verdictOf(result: unknown): boolean {
  return result !== ASK_ZOD && !(result instanceof Promise) && Boolean(result);
}
