// Writes the contract's JSON Schemas to libs/event-schemas/json-schema/ for the
// producing teams. Run after changing a schema: npm run schemas:generate
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildJsonSchemas } from '../src/json-schema';

const dir = join(__dirname, '..', 'json-schema');
mkdirSync(dir, { recursive: true });
for (const file of readdirSync(dir)) if (file.endsWith('.schema.json')) rmSync(join(dir, file));
const files = buildJsonSchemas();
for (const [name, schema] of Object.entries(files))
  writeFileSync(join(dir, name), `${JSON.stringify(schema, null, 2)}\n`);
console.log(`wrote ${Object.keys(files).length} JSON Schemas to ${dir}`);
