import fc from 'fast-check';
import { z } from 'zod';
import { EnvelopeSchema, PAYLOAD_SCHEMAS } from '../src';
import { ASK_ZOD, compileFastParser } from '../src/fast-parse';
import type { FastParser } from '../src/fast-parse';
import { loadVectors } from './vectors';

const CONTRACT: ReadonlyArray<readonly [string, z.ZodType]> = [
  ['envelope', EnvelopeSchema],
  ...Object.entries(PAYLOAD_SCHEMAS),
];

function compiled(schema: z.ZodType): FastParser {
  const fast = compileFastParser(schema);
  if (fast === undefined) throw new Error('the schema did not compile');
  return fast;
}

/** The one promise of a fast parser: zod's own output, or "ask zod". */
function expectZodsVerdict(schema: z.ZodType, fast: FastParser, input: unknown): void {
  const output = fast(input);
  if (output === ASK_ZOD) return;
  const zod = schema.safeParse(input);
  expect(zod.success).toBe(true);
  expect(output).toStrictEqual(zod.data);
  // Same keys in the same order: documents are built from these objects.
  expect(JSON.stringify(output)).toBe(JSON.stringify(zod.data));
}

// The contract's valid events, as the producer writes them.
const validEvents = loadVectors('valid').map((v) => v.value as Record<string, unknown> & { event_type: string });
const schemaOfPayload = (event: { event_type: string }): z.ZodType =>
  (PAYLOAD_SCHEMAS as Record<string, z.ZodType>)[event.event_type]!;

/** Every path to a value inside `value`: object keys and array indexes. */
function pathsOf(value: unknown, prefix: readonly (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  return keys.flatMap((key) => [
    [...prefix, key],
    ...pathsOf((value as Record<string, unknown>)[key], [...prefix, key]),
  ]);
}

const REMOVE = Symbol('remove');
/** `value` with the thing at `path` replaced (or removed), the original untouched. */
function replacedAt(value: unknown, path: readonly (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const step of path.slice(0, -1)) parent = parent[step] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === REMOVE) delete parent[last];
  else parent[last] = replacement;
  return copy;
}

// What breaks a field: wrong types, edge numbers, strings at and past their limits.
const awkward = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom<unknown>(
    REMOVE,
    null,
    undefined,
    '',
    'x'.repeat(128),
    'x'.repeat(129),
    0,
    -1,
    1.5,
    -0,
    Number.MAX_SAFE_INTEGER + 1,
    Infinity,
    NaN,
    '2024-02-30T00:00:00Z',
    '2024-02-29T00:00:00.5Z',
    '2023-02-29T00:00:00Z',
    '2024-01-01T00:00:00+01:00',
    'user.created',
    'USER.created',
    'EUR',
    'eur',
    [],
    {},
  ),
);

describe('compileFastParser', () => {
  it.each(CONTRACT)('given the %s schema of the contract, when compiled, then a fast parser comes out', (_, schema) => {
    expect(compileFastParser(schema)).toBeInstanceOf(Function);
  });

  it('given every valid vector, when parsed fast, then it gives what zod gives, without asking zod', () => {
    const envelope = compiled(EnvelopeSchema);
    for (const event of validEvents) {
      expect(envelope(event)).not.toBe(ASK_ZOD);
      expectZodsVerdict(EnvelopeSchema, envelope, event);
      const payloadSchema = schemaOfPayload(event);
      const payload = compiled(payloadSchema);
      expect(payload(event['payload'])).not.toBe(ASK_ZOD);
      expectZodsVerdict(payloadSchema, payload, event['payload']);
    }
  });

  it('given a valid event with any one value replaced or removed, when parsed fast, then zod would say the same or is asked', () => {
    const envelope = compiled(EnvelopeSchema);
    const eventWithPath = fc
      .constantFrom(...validEvents)
      .chain((event) => fc.tuple(fc.constant(event), fc.constantFrom(...pathsOf(event))));
    fc.assert(
      fc.property(eventWithPath, awkward, ([event, path], replacement) => {
        const changed = replacedAt(event, path, replacement) as Record<string, unknown>;
        expectZodsVerdict(EnvelopeSchema, envelope, changed);
        const payloadSchema = schemaOfPayload(event);
        expectZodsVerdict(payloadSchema, compiled(payloadSchema), changed['payload']);
      }),
      { numRuns: 3000 },
    );
  });

  it('given arbitrary values, when parsed fast by every schema of the contract, then zod would say the same or is asked', () => {
    const parsers = CONTRACT.map(([, schema]) => [schema, compiled(schema)] as const);
    fc.assert(
      fc.property(fc.anything(), (input) => {
        for (const [schema, fast] of parsers) expectZodsVerdict(schema, fast, input);
      }),
      { numRuns: 500 },
    );
  });

  it('given an optional field, then an absent key stays absent and a present null stays null', () => {
    const schema = z.object({ a: z.string().nullable().optional(), b: z.number() });
    const fast = compiled(schema);
    expect(Object.keys(fast({ b: 1 }) as object)).toEqual(['b']);
    expect(fast({ a: null, b: 1 })).toStrictEqual({ a: null, b: 1 });
    expect(fast({ b: 1, extra: true })).toStrictEqual({ b: 1 });
    expect(fast({ a: 'x' })).toBe(ASK_ZOD);
  });

  it('given a number schema with no checks, then only finite numbers pass without zod', () => {
    const fast = compiled(z.number());
    expect(fast(-1.5)).toBe(-1.5);
    for (const input of [NaN, Infinity, -Infinity, '1']) expect(fast(input)).toBe(ASK_ZOD);
  });

  it('given refinements and transforms that refuse, throw or report, when parsed fast, then zod is asked', () => {
    const refusing = compiled(z.array(z.number()).refine((items) => items.length < 2));
    expect(refusing([1])).toStrictEqual([1]);
    expect(refusing([1, 2])).toBe(ASK_ZOD);
    const throwing = compiled(
      z.string().refine(() => {
        throw new Error('bug in a refinement');
      }),
    );
    expect(throwing('x')).toBe(ASK_ZOD);
    const reporting = compiled(
      z.string().transform((value, context) => {
        if (value === 'bad') context.addIssue({ code: 'custom', message: 'bad' });
        return value.length;
      }),
    );
    expect(reporting('good')).toBe(4);
    expect(reporting('bad')).toBe(ASK_ZOD);
  });

  it.each([
    ['an e-mail format', z.string().email()],
    ['a union', z.union([z.string(), z.number()])],
    ['a strict object', z.strictObject({ a: z.string() })],
    ['a coerced number', z.coerce.number()],
    ['a date', z.date()],
    ['an unsupported part deep inside', z.object({ a: z.object({ b: z.array(z.string().url()) }) })],
  ])('given %s, when compiled, then nothing comes out and zod does all', (_, schema) => {
    expect(compileFastParser(schema as z.ZodType)).toBeUndefined();
  });
});
