import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import type { KafkaConfig, LogEntry, RetryOptions, SASLOptions } from 'kafkajs';
import { ProjectionError } from '@sc/service-kit';
import type { Logger } from '@sc/service-kit';
import type { WorkerConfig } from './config';
import { fixKafkaJsIdleLoop } from './request-queue-fix';

const PINO_LEVEL: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client from the worker's config, logging through pino. */
export function createKafkaClient(config: WorkerConfig['kafka'], logger: Logger): Kafka {
  const kafkaLogger = logger.child({ component: 'kafkajs' });
  kafkaLogger.debug({ idleLoopFix: fixKafkaJsIdleLoop() }, 'kafkajs request queue checked for the idle timer loop');
  const kafkaConfig: KafkaConfig = {
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: 5000,
    requestTimeout: 30000,
    retry: { initialRetryTime: 300, retries: 8, maxRetryTime: 30000 },
    // kafkajs logs connection errors at ERROR while it retries them; the runtime logs the outcome.
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, timestamp: _timestamp, logger: _name, ...extra } = log;
        kafkaLogger[PINO_LEVEL[level] ?? 'info'](extra, message);
      },
  };
  if (config.ssl) {
    kafkaConfig.ssl = {
      rejectUnauthorized: config.ssl.rejectUnauthorized,
      ...(config.ssl.caFile ? { ca: [readFileSync(config.ssl.caFile, 'utf8')] } : {}),
    };
  }
  if (config.sasl) {
    kafkaConfig.sasl = {
      mechanism: config.sasl.mechanism,
      username: config.sasl.username,
      password: config.sasl.password,
    } as SASLOptions;
  }
  return new Kafka(kafkaConfig);
}

/** What a tool's or a test's kafkajs client needs: no config file, no logs. */
export interface ToolKafkaOptions {
  readonly clientId: string;
  readonly brokers: readonly string[];
  /** kafkajs's retries of a failed request (default: 8 retries). */
  readonly retry?: RetryOptions;
}

/**
 * A silent kafkajs client for the tools and tests (simulator, bench, chaos, test
 * helpers), with the idle-loop fix applied as for a worker: they share the cores
 * with the workers and servers they drive or measure.
 */
export function createToolKafkaClient(options: ToolKafkaOptions): Kafka {
  fixKafkaJsIdleLoop();
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: logLevel.NOTHING,
    retry: options.retry ?? { retries: 8 },
  });
}

/** Wraps a kafkajs error: broker trouble is always retriable for a projection, which must not skip. */
export function toKafkaError(
  error: unknown,
  operation: string,
  context: Record<string, unknown> = {},
): ProjectionError {
  if (error instanceof ProjectionError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ProjectionError('KAFKA_UNAVAILABLE', `${operation} failed: ${message}`, {
    retriable: true,
    cause: error,
    context,
  });
}
