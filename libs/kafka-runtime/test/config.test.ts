import { ConfigError } from '@sc/service-kit';
import {
  REQUIRED_WORKER_ENV_VARS,
  WORKER_ENV_VARS,
  createWorkerMetrics,
  loadWorkerAndSinkConfig,
  loadWorkerConfig,
} from '../src';

const defaults = { app: 'user-cards-worker', httpPort: 9101 };
const problems = (env: Record<string, string>) => {
  try {
    loadWorkerConfig(env, defaults);
  } catch (error) {
    return (error as ConfigError).problems;
  }
  return [];
};

describe('worker configuration', () => {
  it('applies defaults and reads lists, booleans and numbers', () => {
    const config = loadWorkerConfig(
      {
        KAFKA_BROKERS: 'a:9092,b:9092',
        KAFKA_CREATE_TOPICS: 'true',
        PARTITIONS_CONCURRENCY: '9',
      },
      defaults,
    );
    expect(config).toMatchObject({
      app: 'user-cards-worker',
      kafka: { brokers: ['a:9092', 'b:9092'], clientId: 'user-cards-worker', createTopics: true, namePrefix: '' },
      http: { port: 9101 },
      processing: { partitionsConcurrency: 9, maxEventsPerWrite: 500 },
      shutdownGraceMs: 25000,
      logLevel: 'info',
    });
    expect(config.kafka.sasl).toBeUndefined();
  });

  it('fails naming every missing or bad variable', () => {
    expect(problems({})).toEqual(['KAFKA_BROKERS: is required but not set']);
    expect(problems({ KAFKA_BROKERS: 'a:1', HTTP_PORT: '-1', LOG_LEVEL: 'loud' })).toEqual([
      'HTTP_PORT: must be at least 0',
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
    ]);
  });

  it('requires SASL credentials once a mechanism is chosen, and keeps them out of logs', () => {
    expect(problems({ KAFKA_BROKERS: 'a:1', KAFKA_SASL_MECHANISM: 'scram-sha-512' })).toEqual([
      'KAFKA_SASL_USERNAME: is required when KAFKA_SASL_MECHANISM is set',
      'KAFKA_SASL_PASSWORD: is required when KAFKA_SASL_MECHANISM is set',
    ]);
    const config = loadWorkerConfig(
      {
        KAFKA_BROKERS: 'a:1',
        KAFKA_SASL_MECHANISM: 'plain',
        KAFKA_SASL_USERNAME: 'u',
        KAFKA_SASL_PASSWORD: 'p',
      },
      defaults,
    );
    expect(config.kafka.sasl).toEqual({ mechanism: 'plain', username: 'u', password: 'p' });
  });

  it('lists its variables for docs and manifests, and none of the store’s', () => {
    expect(WORKER_ENV_VARS).toEqual(
      expect.arrayContaining([...REQUIRED_WORKER_ENV_VARS, 'KAFKA_NAME_PREFIX', 'SHUTDOWN_GRACE_MS', 'HTTP_PORT']),
    );
    expect(WORKER_ENV_VARS.filter((name) => name.startsWith('MONGO_') || name.startsWith('STORE_'))).toEqual([]);
  });

  it('validates the store adapter’s variables with its own, naming every problem of both at once', () => {
    const sink = {
      loadConfig: (env: Readonly<Record<string, string | undefined>>) => {
        if (!env['STORE_URL']) throw new ConfigError(['STORE_URL: is required but not set']);
        return { url: env['STORE_URL'] };
      },
      open: () => Promise.reject(new Error('not opened in this test')),
    };
    expect(() => loadWorkerAndSinkConfig({}, defaults, sink)).toThrow(
      expect.objectContaining({
        problems: ['KAFKA_BROKERS: is required but not set', 'STORE_URL: is required but not set'],
      }),
    );
    expect(loadWorkerAndSinkConfig({ KAFKA_BROKERS: 'a:1', STORE_URL: 's://x' }, defaults, sink).sinkConfig).toEqual({
      url: 's://x',
    });
  });
});

describe('worker metrics', () => {
  it('bound the event_type label so bad input cannot create unbounded series', () => {
    const metrics = createWorkerMetrics('user_cards');
    expect(metrics.eventTypeLabel('user.created')).toBe('user.created');
    expect(metrics.eventTypeLabel(undefined)).toBe('unknown');
    expect(metrics.eventTypeLabel('Robert"); DROP')).toBe('unknown');
    const letters = (n: number) => String.fromCharCode(97 + (n % 26), 97 + Math.floor(n / 26));
    for (let i = 0; i < 200; i++) metrics.eventTypeLabel(`user.future_${letters(i)}`);
    expect(metrics.eventTypeLabel('user.brand_new')).toBe('other');
  });
});
