import { z } from 'zod';
import { LOG_LEVELS, envBoolean, envInt, envList, parseEnv } from '@sc/service-kit';

/** What differs between workers: their name and their default HTTP port. */
export interface WorkerDefaults {
  /** The app's name, e.g. `user-cards-worker`: default client id and logger name. */
  readonly app: string;
  readonly httpPort: number;
}

/**
 * The environment variables every worker reads. Names are the keys; the README's
 * configuration table and the deploy manifests list the same names.
 */
export function createWorkerEnvSchema(defaults: WorkerDefaults) {
  return z
    .object({
      KAFKA_BROKERS: envList,
      KAFKA_CLIENT_ID: z.string().default(defaults.app),
      KAFKA_NAME_PREFIX: z
        .string()
        .regex(/^[A-Za-z0-9._-]*$/, { message: 'may hold only letters, digits, ".", "_" and "-"' })
        .default(''),
      KAFKA_SSL: envBoolean.default(false),
      KAFKA_SSL_CA_FILE: z.string().optional(),
      KAFKA_SSL_REJECT_UNAUTHORIZED: envBoolean.default(true),
      KAFKA_SASL_MECHANISM: z
        .enum(['plain', 'scram-sha-256', 'scram-sha-512'], { message: 'must be plain, scram-sha-256 or scram-sha-512' })
        .optional(),
      KAFKA_SASL_USERNAME: z.string().optional(),
      KAFKA_SASL_PASSWORD: z.string().optional(),
      KAFKA_CREATE_TOPICS: envBoolean.default(false),
      KAFKA_TOPIC_PARTITIONS: envInt(1, 10_000).default(6),
      KAFKA_TOPIC_REPLICATION_FACTOR: envInt(-1, 100).default(-1),
      KAFKA_SESSION_TIMEOUT_MS: envInt(1_000, 600_000).default(30_000),
      KAFKA_HEARTBEAT_INTERVAL_MS: envInt(100, 60_000).default(3_000),
      KAFKA_MAX_WAIT_MS: envInt(10, 30_000).default(500),
      KAFKA_MAX_BYTES_PER_PARTITION: envInt(1_024, 100 * 1_048_576).default(1_048_576),
      HTTP_HOST: z.string().default('0.0.0.0'),
      HTTP_PORT: envInt(0, 65_535).default(defaults.httpPort),
      LOG_LEVEL: z.enum(LOG_LEVELS, { message: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
      PARTITIONS_CONCURRENCY: envInt(1, 1_000).default(6),
      MAX_EVENTS_PER_WRITE: envInt(1, 10_000).default(500),
      DEAD_LETTER_MAX_BATCH_BYTES: envInt(1_024, 100 * 1_048_576).default(512 * 1_024),
      RETRY_INITIAL_MS: envInt(1, 60_000).default(200),
      RETRY_MAX_MS: envInt(1, 600_000).default(30_000),
      SHUTDOWN_GRACE_MS: envInt(100, 600_000).default(25_000),
    })
    .superRefine((env, ctx) => {
      if (env.KAFKA_SASL_MECHANISM !== undefined) {
        for (const name of ['KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) {
          if (!env[name])
            ctx.addIssue({ code: 'custom', path: [name], message: 'is required when KAFKA_SASL_MECHANISM is set' });
        }
      }
      if (env.RETRY_MAX_MS < env.RETRY_INITIAL_MS) {
        ctx.addIssue({ code: 'custom', path: ['RETRY_MAX_MS'], message: 'must be at least RETRY_INITIAL_MS' });
      }
    })
    .transform((env) => ({
      app: defaults.app,
      kafka: {
        brokers: env.KAFKA_BROKERS,
        clientId: env.KAFKA_CLIENT_ID,
        namePrefix: env.KAFKA_NAME_PREFIX,
        ssl: env.KAFKA_SSL
          ? { caFile: env.KAFKA_SSL_CA_FILE, rejectUnauthorized: env.KAFKA_SSL_REJECT_UNAUTHORIZED }
          : undefined,
        sasl:
          env.KAFKA_SASL_MECHANISM === undefined
            ? undefined
            : {
                mechanism: env.KAFKA_SASL_MECHANISM,
                username: env.KAFKA_SASL_USERNAME ?? '',
                password: env.KAFKA_SASL_PASSWORD ?? '',
              },
        createTopics: env.KAFKA_CREATE_TOPICS,
        topicPartitions: env.KAFKA_TOPIC_PARTITIONS,
        topicReplicationFactor: env.KAFKA_TOPIC_REPLICATION_FACTOR,
        sessionTimeoutMs: env.KAFKA_SESSION_TIMEOUT_MS,
        heartbeatIntervalMs: env.KAFKA_HEARTBEAT_INTERVAL_MS,
        maxWaitMs: env.KAFKA_MAX_WAIT_MS,
        maxBytesPerPartition: env.KAFKA_MAX_BYTES_PER_PARTITION,
      },
      http: { host: env.HTTP_HOST, port: env.HTTP_PORT },
      logLevel: env.LOG_LEVEL,
      processing: {
        partitionsConcurrency: env.PARTITIONS_CONCURRENCY,
        maxEventsPerWrite: env.MAX_EVENTS_PER_WRITE,
        maxDeadLetterBatchBytes: env.DEAD_LETTER_MAX_BATCH_BYTES,
      },
      retry: { initialMs: env.RETRY_INITIAL_MS, maxMs: env.RETRY_MAX_MS },
      shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    }));
}

/** A worker's validated configuration. */
export type WorkerConfig = z.output<ReturnType<typeof createWorkerEnvSchema>>;

/** Every environment variable the runtime reads; the store adapter reads its own (for docs, manifests, tests). */
export const WORKER_ENV_VARS = Object.keys(
  createWorkerEnvSchema({ app: 'x', httpPort: 0 }).in.shape,
) as readonly string[];

/** Runtime variables without a default: a deployment must set them. */
export const REQUIRED_WORKER_ENV_VARS = ['KAFKA_BROKERS'] as const;

/** Reads and validates the worker's environment; throws a ConfigError naming each bad variable. */
export function loadWorkerConfig(
  env: Readonly<Record<string, string | undefined>>,
  defaults: WorkerDefaults,
): WorkerConfig {
  return parseEnv(createWorkerEnvSchema(defaults), env);
}
