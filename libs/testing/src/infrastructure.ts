import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** Where the integration tests find Kafka and MongoDB. */
export interface TestInfrastructure {
  readonly kafkaBrokers: string;
  readonly mongoUrl: string;
  /** What provides them: `env`, `testcontainers` or `local-infra`. */
  readonly source: 'env' | 'testcontainers' | 'local-infra';
  readonly stop: () => Promise<void>;
}

const repoRoot = resolve(__dirname, '../../..');

/** Whether a Docker engine answers here (then the integration tests use testcontainers). */
export function dockerAnswers(): boolean {
  try {
    execFileSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

async function startWithTestcontainers(): Promise<TestInfrastructure> {
  // Loaded only where a Docker engine exists.
  const { GenericContainer, Wait } = await import('testcontainers');
  const kafka = await new GenericContainer('apache/kafka:4.1.1')
    .withExposedPorts({ container: 9092, host: 19092 })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: 'PLAINTEXT://127.0.0.1:19092',
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();
  const mongo = await new GenericContainer('mongo:7')
    .withExposedPorts(27017)
    .withWaitStrategy(Wait.forListeningPorts())
    .start();
  return {
    kafkaBrokers: '127.0.0.1:19092',
    mongoUrl: `mongodb://${mongo.getHost()}:${mongo.getMappedPort(27017)}`,
    source: 'testcontainers',
    stop: async () => {
      await Promise.all([kafka.stop(), mongo.stop()]);
    },
  };
}

async function startLocalInfra(): Promise<TestInfrastructure> {
  const cli = resolve(repoRoot, 'tools/local-infra/cli.ts');
  // A separate process (TypeScript run by tsx): it spawns detached servers that outlive jest.
  const output = execFileSync(process.execPath, ['--import', 'tsx', cli, 'up'], {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const kafka = /KAFKA_BROKERS=([^\s;]+)/.exec(output)?.[1];
  const mongo = /MONGO_URL=([^\s;]+)/.exec(output)?.[1];
  if (!kafka || !mongo) throw new Error(`local-infra up did not report its addresses:\n${output}`);
  return { kafkaBrokers: kafka, mongoUrl: mongo, source: 'local-infra', stop: async () => undefined };
}

/**
 * Finds or starts a real Kafka broker and MongoDB server: `KAFKA_BROKERS` and
 * `MONGO_URL` when both are set; else testcontainers when a Docker engine answers;
 * else the local infrastructure of `tools/local-infra` (reused if already up).
 */
export async function provideInfrastructure(env: NodeJS.ProcessEnv = process.env): Promise<TestInfrastructure> {
  if (env['KAFKA_BROKERS'] && env['MONGO_URL']) {
    return {
      kafkaBrokers: env['KAFKA_BROKERS'],
      mongoUrl: env['MONGO_URL'],
      source: 'env',
      stop: async () => undefined,
    };
  }
  if (dockerAnswers()) return startWithTestcontainers();
  return startLocalInfra();
}
