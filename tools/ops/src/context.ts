// The edges of the CLI: the workers' own configuration (same variables, same zod
// schemas, every bad one named) and the Kafka and MongoDB clients built from it.
import pino from 'pino';
import type { Admin, Kafka } from 'kafkajs';
import type { Db, MongoClient } from 'mongodb';
import { createKafkaClient, loadWorkerAndSinkConfig, toKafkaError } from '@sc/kafka-runtime';
import type { WorkerConfig } from '@sc/kafka-runtime';
import { connectMongo, loadMongoStoreConfig } from '@sc/mongo-store';
import type { MongoStoreConfig } from '@sc/mongo-store';
import { createLogger } from '@sc/service-kit';
import type { Logger } from '@sc/service-kit';

/** The CLI's name: its Kafka client id (unless KAFKA_CLIENT_ID says otherwise), its logger's name. */
export const OPS_APP = 'sc-ops';

/** The workers' configuration as the CLI reads it. */
export interface OpsConfig {
  readonly worker: WorkerConfig;
  readonly store: MongoStoreConfig;
}

/**
 * Reads the variables the workers read (KAFKA_*, MONGO_*, STORE_*, …) with the
 * workers' own schemas; throws a ConfigError naming each bad or missing one.
 */
export function loadOpsConfig(env: Readonly<Record<string, string | undefined>>): OpsConfig {
  const { config, sinkConfig } = loadWorkerAndSinkConfig(
    env,
    { app: OPS_APP, httpPort: 0 },
    {
      loadConfig: loadMongoStoreConfig,
    },
  );
  return { worker: config, store: sinkConfig };
}

/** Open connections of one CLI run, and the names with the configured prefix. */
export interface OpsContext {
  readonly config: OpsConfig;
  readonly logger: Logger;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly mongo: MongoClient;
  readonly db: Db;
  /** A contract topic or group name as it exists on the cluster (KAFKA_NAME_PREFIX added). */
  physical(name: string): string;
  /** A physical topic name back to the contract's (prefix removed). */
  logical(name: string): string;
  close(): Promise<void>;
}

/**
 * Connects the admin client and MongoDB. Logs go to stderr (stdout is the command's
 * output), at LOG_LEVEL when it is set; otherwise `warn`, and only fatal ones of
 * kafkajs (which logs every retry it makes as an error; the commands report outcomes).
 */
export async function openOpsContext(
  config: OpsConfig,
  env: Readonly<Record<string, string | undefined>>,
): Promise<OpsContext> {
  const stderr = pino.destination({ fd: 2, sync: true });
  const chosen = env['LOG_LEVEL'] ? config.worker.logLevel : undefined;
  const logger = createLogger({ name: OPS_APP, level: chosen ?? 'warn', destination: stderr });
  const kafka = createKafkaClient(
    config.worker.kafka,
    createLogger({ name: OPS_APP, level: chosen ?? 'fatal', destination: stderr }),
  );
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    throw toKafkaError(error, 'connect to Kafka');
  }
  let mongo: { client: MongoClient; db: Db };
  try {
    mongo = await connectMongo({ url: config.store.url, database: config.store.database, appName: OPS_APP });
  } catch (error) {
    await admin.disconnect();
    throw error;
  }
  const prefix = config.worker.kafka.namePrefix;
  return {
    config,
    logger,
    kafka,
    admin,
    mongo: mongo.client,
    db: mongo.db,
    physical: (name) => `${prefix}${name}`,
    logical: (name) => (name.startsWith(prefix) ? name.slice(prefix.length) : name),
    async close() {
      await admin.disconnect().catch(() => undefined);
      await mongo.client.close().catch(() => undefined);
    },
  };
}
