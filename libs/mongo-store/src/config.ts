import { z } from 'zod';
import type { ReadConcernLevel, W } from 'mongodb';
import { envInt, parseEnv } from '@sc/service-kit';

/** The environment variables of the MongoDB store, validated like the runtime's own. */
export const mongoStoreEnvSchema = z
  .object({
    MONGO_URL: z.string().regex(/^mongodb(\+srv)?:\/\//, { message: 'must start with mongodb:// or mongodb+srv://' }),
    MONGO_DB: z
      .string()
      .regex(/^[^/\\. "$]{1,63}$/, { message: 'must be a valid MongoDB database name' })
      .default('sc_read_models'),
    MONGO_READ_CONCERN: z
      .enum(['local', 'majority', 'linearizable', 'available', 'snapshot'], {
        message: 'must be local, majority, linearizable, available or snapshot',
      })
      .default('majority'),
    MONGO_WRITE_CONCERN: z
      .string()
      .regex(/^(majority|\d+)$/, { message: 'must be majority or a number of nodes' })
      .default('majority'),
    STORE_MAX_CONFLICT_ROUNDS: envInt(0, 100).default(5),
    STORE_CACHED_DOCUMENTS: envInt(0, 10_000_000).default(10_000),
  })
  .transform((env) => ({
    url: env.MONGO_URL,
    database: env.MONGO_DB,
    readConcern: env.MONGO_READ_CONCERN as ReadConcernLevel,
    writeConcern: (/^\d+$/.test(env.MONGO_WRITE_CONCERN) ? Number(env.MONGO_WRITE_CONCERN) : 'majority') as W,
    maxConflictRounds: env.STORE_MAX_CONFLICT_ROUNDS,
    cachedDocuments: env.STORE_CACHED_DOCUMENTS,
  }));

/** The store's validated configuration. */
export type MongoStoreConfig = z.output<typeof mongoStoreEnvSchema>;

/** Every environment variable the store reads (for docs, manifests and their tests). */
export const MONGO_STORE_ENV_VARS = Object.keys(mongoStoreEnvSchema.in.shape) as readonly string[];

/** Store variables without a default: a deployment must set them. */
export const REQUIRED_MONGO_STORE_ENV_VARS = ['MONGO_URL'] as const;

/** Reads and validates the store's environment; throws a ConfigError naming each bad variable. */
export function loadMongoStoreConfig(env: Readonly<Record<string, string | undefined>>): MongoStoreConfig {
  return parseEnv(mongoStoreEnvSchema, env);
}
