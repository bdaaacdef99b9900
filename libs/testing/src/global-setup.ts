import { provideInfrastructure } from './infrastructure';

/**
 * Jest global setup of the integration tests. It exports KAFKA_BROKERS and
 * MONGO_URL, which the test workers (started afterwards) inherit.
 */
export default async function globalSetup(): Promise<void> {
  const infra = await provideInfrastructure();
  process.env['KAFKA_BROKERS'] = infra.kafkaBrokers;
  process.env['MONGO_URL'] = infra.mongoUrl;
  (globalThis as { __scInfraStop__?: () => Promise<void> }).__scInfraStop__ = infra.stop;
}
