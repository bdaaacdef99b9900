import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REQUIRED_WORKER_ENV_VARS, WORKER_ENV_VARS } from '../src';

const root = join(__dirname, '..', '..', '..');
const WORKERS = { 'user-cards-worker': '9101', 'feed-builder-worker': '9102', 'order-summary-worker': '9103' };

interface Service {
  build?: { context: string; dockerfile: string };
  environment?: Record<string, string>;
  ports?: string[];
  init?: boolean;
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, Service>;
  };

  it.each(Object.entries(WORKERS))(
    '%s is configured with variables the worker reads, and builds from its Dockerfile',
    (app, port) => {
      const service = compose.services[app]!;
      const env = service.environment ?? {};
      for (const name of Object.keys(env)) expect(WORKER_ENV_VARS).toContain(name);
      for (const name of REQUIRED_WORKER_ENV_VARS) expect(env[name]).toBeTruthy();
      expect(env['HTTP_PORT']).toBe(port);
      expect(service.ports).toEqual([`${port}:${port}`]);
      expect(service.init).toBe(true);
      expect(existsSync(join(root, service.build!.context, service.build!.dockerfile))).toBe(true);
      const dockerfile = readFileSync(join(root, service.build!.dockerfile), 'utf8');
      expect(dockerfile).toContain(`nx build ${app}`);
      expect(dockerfile).toMatch(/^USER node$/m);
      expect(dockerfile).toContain(`HTTP_PORT=${port}`);
    },
  );

  it('points the workers at the compose broker and database', () => {
    expect(compose.services['user-cards-worker']!.environment!['KAFKA_BROKERS']).toBe('kafka:9092');
    expect(compose.services['feed-builder-worker']!.environment!['MONGO_URL']).toBe('mongodb://mongo:27017');
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['kafka', 'mongo']));
  });
});
