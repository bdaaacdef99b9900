import { z } from 'zod';
import { EnvelopeSchema } from './envelope';
import { EVENT_SCHEMAS } from './events';
import { EVENT_TYPES } from './payloads';

/**
 * JSON Schemas (draft 2020-12) of the envelope and of every event, as producers
 * write them (timestamps are strings), keyed by file name.
 */
export function buildJsonSchemas(): Record<string, unknown> {
  const options = {
    io: 'input',
    target: 'draft-2020-12',
    // The envelope's payload is only checked for being an object; each event's schema says more.
    override: (ctx: { zodSchema: unknown; jsonSchema: Record<string, unknown> }) => {
      if ((ctx.zodSchema as { _zod?: { def?: { type?: string } } })._zod?.def?.type === 'custom') {
        ctx.jsonSchema['type'] = 'object';
      }
    },
    unrepresentable: 'any',
  } as const;
  const files: Record<string, unknown> = {
    'envelope.schema.json': { title: 'sc domain event envelope (v1)', ...z.toJSONSchema(EnvelopeSchema, options) },
  };
  for (const eventType of EVENT_TYPES) {
    files[`${eventType}.schema.json`] = {
      title: `${eventType} (v1)`,
      ...z.toJSONSchema(EVENT_SCHEMAS[eventType], options),
    };
  }
  return files;
}
