// ---------------------------------------------------------------- settings
//
// Every knob of the local infrastructure, overridable by environment variable.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** This folder: the Maven project of the Kafka jars and the Go module of FerretDB live below it. */
export const INFRA_SOURCES = __dirname;
export const REPO_ROOT = resolve(INFRA_SOURCES, '../..');
/** The FerretDB version go.mod pins; LOCAL_FERRETDB_VERSION overrides it. */
export const PINNED_FERRETDB = 'v1.24.2';

/** The services `up` and `down` manage; `--only` picks one. */
export const SERVICES = ['kafka', 'mongo'] as const;
export type Service = (typeof SERVICES)[number];

export function isService(value: string | undefined): value is Service {
  return (SERVICES as readonly (string | undefined)[]).includes(value);
}

export type FerretBackend = 'postgresql' | 'sqlite';

export interface InfraSettings {
  /** Data, logs and pid files: LOCAL_INFRA_DIR, default `.local-infra/` at the repo root. */
  readonly dir: string;
  readonly host: string;
  readonly kafkaVersion: string;
  readonly kafkaPort: number;
  readonly kafkaControllerPort: number;
  readonly kafkaHeap: string;
  /** The download caches: shareable between infrastructures (LOCAL_INFRA_CACHE_DIR), e.g. a test's fresh broker. */
  readonly cache: string;
  readonly kafkaLibs: string;
  readonly kafkaData: string;
  readonly mongoPort: number;
  readonly mongoData: string;
  /** FerretDB's backend: postgresql (default; fast, pushes filters down to indexes) or sqlite (no server needed). */
  readonly ferretBackend: FerretBackend;
  readonly postgresPort: number;
  readonly postgresData: string;
  readonly ferretVersion: string;
  /** Rebuilt whenever the wrapper's source changes. */
  readonly ferretBinary: string;
  readonly logs: string;
  readonly run: string;
}

function sourceHash(folder: string, files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(readFileSync(join(folder, file)));
  return hash.digest('hex').slice(0, 10);
}

function ferretBackend(value: string | undefined): FerretBackend {
  if (value === undefined || value === 'postgresql' || value === 'sqlite') return value ?? 'postgresql';
  throw new Error(`LOCAL_FERRETDB_BACKEND must be postgresql or sqlite, not ${JSON.stringify(value)}`);
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0 || parsed > 65_535) {
    throw new Error(`${name} must be a TCP port, not ${JSON.stringify(value)}`);
  }
  return parsed;
}

/** Every knob, overridable by environment variable. */
export function readInfraSettings(env: NodeJS.ProcessEnv = process.env): InfraSettings {
  const dir = resolve(env['LOCAL_INFRA_DIR'] ?? join(REPO_ROOT, '.local-infra'));
  const kafkaVersion = env['LOCAL_KAFKA_VERSION'] ?? '4.1.1';
  const ferretVersion = env['LOCAL_FERRETDB_VERSION'] ?? PINNED_FERRETDB;
  const cacheDir = resolve(env['LOCAL_INFRA_CACHE_DIR'] ?? join(dir, 'cache'));
  return {
    dir,
    host: '127.0.0.1',
    kafkaVersion,
    kafkaPort: port(env, 'LOCAL_KAFKA_PORT', 9092),
    kafkaControllerPort: port(env, 'LOCAL_KAFKA_CONTROLLER_PORT', 9093),
    kafkaHeap: env['LOCAL_KAFKA_HEAP'] ?? '768m',
    cache: cacheDir,
    kafkaLibs: join(cacheDir, `kafka-${kafkaVersion}`),
    kafkaData: join(env['LOCAL_KAFKA_DATA_DIR'] ?? join(dir, 'data', 'kafka')),
    mongoPort: port(env, 'LOCAL_MONGO_PORT', 27017),
    mongoData: join(env['LOCAL_MONGO_DATA_DIR'] ?? join(dir, 'data', 'mongo')),
    ferretBackend: ferretBackend(env['LOCAL_FERRETDB_BACKEND']),
    postgresPort: port(env, 'LOCAL_POSTGRES_PORT', 5433),
    // Outside the checkout: PostgreSQL runs as the `postgres` user, who may not traverse it (e.g. below /root).
    postgresData: resolve(
      env['LOCAL_POSTGRES_DATA_DIR'] ??
        join(tmpdir(), `sc-local-infra-${createHash('sha256').update(dir).digest('hex').slice(0, 10)}`, 'postgres'),
    ),
    ferretVersion,
    ferretBinary: join(
      cacheDir,
      `ferretdb-${ferretVersion}-${sourceHash(join(INFRA_SOURCES, 'ferretdb'), ['main.go', 'go.mod', 'go.sum'])}`,
    ),
    logs: join(dir, 'logs'),
    run: join(dir, 'run'),
  };
}
