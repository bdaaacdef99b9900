import { z } from 'zod';
import { ENTITY_TYPES } from './topics';

/** The contract's version; records with another `schema_version` are not decoded. */
export const SUPPORTED_SCHEMA_VERSION = 1;

/** ISO-8601 UTC timestamp string, decoded to a `Date`. */
export const TimestampSchema = z.iso
  .datetime({ message: 'must be an ISO-8601 UTC timestamp' })
  .transform((value) => new Date(value));

/** An identifier: 1 to 128 characters. */
export const IdSchema = z
  .string()
  .min(1, { message: 'must not be empty' })
  .max(128, { message: 'must be at most 128 characters' });

/** A whole number ≥ 0 (counters, cents). */
export const CountSchema = z.number().int({ message: 'must be a whole number' }).min(0, { message: 'must be ≥ 0' });

/** Optional text that `null` clears. */
export const ClearableTextSchema = z.string().nullable().optional();

/** `<entity_type>.<name>`, lowercase letters and `_`. */
export const EventTypeSchema = z
  .string()
  .regex(/^[a-z_]+\.[a-z_]+$/, { message: 'must be <entity_type>.<name> in lowercase letters and _' });

/** The envelope fields every event carries, with the payload left as an object. */
export const envelopeShape = {
  event_id: IdSchema,
  event_type: EventTypeSchema,
  entity_type: z.enum(ENTITY_TYPES, { message: `must be one of ${ENTITY_TYPES.join(', ')}` }),
  entity_id: IdSchema,
  entity_version: z.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be ≥ 1' }),
  occurred_at: TimestampSchema,
  schema_version: z.literal(SUPPORTED_SCHEMA_VERSION),
  // Checked here only for being an object: each event type's schema checks its fields.
  payload: z.custom<Record<string, unknown>>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    {
      message: 'must be a JSON object',
    },
  ),
};

/** The envelope of the contract (v1), payload not yet checked. */
export const EnvelopeSchema = z.object(envelopeShape);
export type Envelope = z.output<typeof EnvelopeSchema>;
