// ---------------------------------------------------------------- commands
//
// `up`, `down` and `status`: what cli.ts runs, and what `npm test` and `npm start`
// call in process.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ferretDbBuilt } from './ferretdb';
import { kafkaUp } from './kafka';
import { mongoServer, mongoUp } from './mongo';
import { postgresDown } from './postgres';
import { log, portAnswers, readPid, stopPid } from './processes';
import { readInfraSettings, SERVICES } from './settings';
import type { Service } from './settings';

export { readInfraSettings, SERVICES } from './settings';
export type { InfraSettings, Service } from './settings';

export interface CommandOptions {
  /** No progress lines on stdout. */
  readonly quiet?: boolean;
  /** Where the settings come from (LOCAL_*). */
  readonly env?: NodeJS.ProcessEnv;
  /** The services to act on; all by default. */
  readonly only?: readonly Service[];
}

/** The addresses `up` reports, and which services it started itself (not those it found answering). */
export interface InfraUp {
  readonly KAFKA_BROKERS: string;
  readonly MONGO_URL: string;
  readonly started: Service[];
}

/**
 * Starts what does not answer yet and prints one line
 * `ready in …: KAFKA_BROKERS=<host:port> MONGO_URL=<url>; logs in …` (which callers parse).
 */
export async function up({ quiet = false, env = process.env, only = SERVICES }: CommandOptions = {}): Promise<InfraUp> {
  const s = readInfraSettings(env);
  const started = Date.now();
  const [kafkaStarted, mongoStarted] = await Promise.all([
    only.includes('kafka') && kafkaUp(s, quiet),
    only.includes('mongo') && mongoUp(s, quiet),
  ]);
  const urls = {
    KAFKA_BROKERS: `${s.host}:${s.kafkaPort}`,
    MONGO_URL: `mongodb://${s.host}:${s.mongoPort}`,
  };
  log(
    quiet,
    `ready in ${((Date.now() - started) / 1000).toFixed(1)}s: KAFKA_BROKERS=${urls.KAFKA_BROKERS} MONGO_URL=${urls.MONGO_URL}; logs in ${s.logs}`,
  );
  const startedServices: Service[] = [];
  if (kafkaStarted) startedServices.push('kafka');
  if (mongoStarted) startedServices.push('mongo');
  return { ...urls, started: startedServices };
}

/** Stops what `up` started (and FerretDB's PostgreSQL with mongo); leaves servers it did not start alone. */
export async function down({ quiet = false, env = process.env, only = SERVICES }: CommandOptions = {}): Promise<void> {
  const s = readInfraSettings(env);
  await Promise.all(only.map((name) => stopPid(s, name, quiet)));
  if (only.includes('mongo')) postgresDown(s, quiet);
}

interface StatusRow {
  readonly name: string;
  readonly port: number;
  readonly what: string;
  readonly logFile: string;
}

/** Prints one line per server (up or down, pid, log) and the caches; true when every server answers. */
export async function status({ env = process.env }: Pick<CommandOptions, 'env'> = {}): Promise<boolean> {
  const s = readInfraSettings(env);
  const ferret = mongoServer() === 'ferretdb';
  const rows: StatusRow[] = [
    {
      name: 'kafka',
      port: s.kafkaPort,
      what: `Apache Kafka ${s.kafkaVersion} (KRaft)`,
      logFile: join(s.logs, 'kafka.log'),
    },
    {
      name: 'mongo',
      port: s.mongoPort,
      what: ferret ? `FerretDB ${s.ferretVersion} (${s.ferretBackend})` : 'mongod',
      logFile: join(s.logs, 'mongo.log'),
    },
  ];
  if (ferret && s.ferretBackend === 'postgresql')
    rows.push({
      name: 'postgres',
      port: s.postgresPort,
      what: 'PostgreSQL (FerretDB backend)',
      logFile: join(dirname(s.postgresData), 'postgres.log'),
    });
  let allUp = true;
  for (const { name, port, what, logFile } of rows) {
    const answers = await portAnswers(s.host, port);
    const pid = readPid(s, name);
    allUp &&= answers;
    const owner = pid ? `pid ${pid}` : answers ? 'not ours' : '-';
    console.log(
      `${name.padEnd(6)} ${answers ? 'up  ' : 'down'} ${s.host}:${port}  ${owner.padEnd(10)} ${what}  log ${logFile}`,
    );
  }
  const cached = existsSync(s.kafkaLibs) ? readdirSync(s.kafkaLibs).length : 0;
  console.log(`cache  kafka jars: ${cached}, ferretdb binary: ${ferretDbBuilt(s) ? 'built' : 'not built'}  (${s.dir})`);
  return allUp;
}
