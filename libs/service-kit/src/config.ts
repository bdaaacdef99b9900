import { z } from 'zod';
import { ConfigError } from './errors';

/**
 * Parses environment variables with a zod object schema whose keys are the variable
 * names. Throws a {@link ConfigError} naming every bad or missing variable at once.
 */
export function parseEnv<TSchema extends z.ZodType>(
  schema: TSchema,
  env: Readonly<Record<string, string | undefined>>,
): z.output<TSchema> {
  // Empty strings mean "not set", as in most deployment tools.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path.length > 0 ? issue.path.join('.') : '(environment)';
    const missing = issue.code === 'invalid_type' && cleaned[String(issue.path[0])] === undefined;
    return `${name}: ${missing ? 'is required but not set' : issue.message}`;
  });
  throw new ConfigError(problems);
}

/** `true`/`false`/`1`/`0`/`yes`/`no` as a boolean, for env vars. */
export const envBoolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A whole number within bounds, from an env var string. */
export function envInt(min: number, max: number) {
  return z.coerce
    .number({ message: 'must be a whole number' })
    .int({ message: 'must be a whole number' })
    .min(min, { message: `must be at least ${min}` })
    .max(max, { message: `must be at most ${max}` });
}

/** A comma-separated list of non-empty items. */
export const envList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  )
  .pipe(z.array(z.string()).min(1, { message: 'must list at least one item' }));
