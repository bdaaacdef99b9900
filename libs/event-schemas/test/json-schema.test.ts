import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_TYPES, buildJsonSchemas } from '../src';

describe('committed JSON Schemas', () => {
  const dir = join(__dirname, '..', 'json-schema');

  it('are up to date (regenerate with: npm run schemas:generate)', () => {
    const expected = buildJsonSchemas();
    const committed = readdirSync(dir).filter((f) => f.endsWith('.schema.json'));
    expect(committed.sort()).toEqual(Object.keys(expected).sort());
    for (const [file, schema] of Object.entries(expected)) {
      expect({ file, schema: JSON.parse(readFileSync(join(dir, file), 'utf8')) }).toEqual({ file, schema });
    }
  });

  it('exist for the envelope and every event type, with timestamps as date-time strings', () => {
    const schemas = buildJsonSchemas() as Record<string, { properties: Record<string, { format?: string }> }>;
    expect(Object.keys(schemas)).toHaveLength(EVENT_TYPES.length + 1);
    expect(schemas['envelope.schema.json']?.properties['occurred_at']?.format).toBe('date-time');
  });
});
