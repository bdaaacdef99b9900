#!/usr/bin/env node
// Real Kafka and MongoDB on this machine, without Docker.
//
//   node tools/local-infra/cli.mjs up|down|status [--quiet] [--only kafka|mongo]
//
// `up` is idempotent: a service whose port already answers is reused, so a
// second `up` (or a developer's own broker) costs nothing. Data and logs live
// in LOCAL_INFRA_DIR (default: .local-infra/ at the repo root, gitignored).
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const PINNED_FERRETDB = 'v1.24.2';

function sourceHash(folder, files) {
  const hash = createHash('sha256');
  for (const file of files) hash.update(readFileSync(join(folder, file)));
  return hash.digest('hex').slice(0, 10);
}

/** Every knob, overridable by environment variable. */
export function readInfraSettings(env = process.env) {
  const dir = resolve(env.LOCAL_INFRA_DIR ?? join(repoRoot, '.local-infra'));
  const kafkaVersion = env.LOCAL_KAFKA_VERSION ?? '4.1.1';
  const ferretVersion = env.LOCAL_FERRETDB_VERSION ?? PINNED_FERRETDB;
  const cacheDir = resolve(env.LOCAL_INFRA_CACHE_DIR ?? join(dir, 'cache'));
  return {
    dir,
    host: '127.0.0.1',
    kafkaVersion,
    kafkaPort: Number(env.LOCAL_KAFKA_PORT ?? 9092),
    kafkaControllerPort: Number(env.LOCAL_KAFKA_CONTROLLER_PORT ?? 9093),
    kafkaHeap: env.LOCAL_KAFKA_HEAP ?? '768m',
    // The download caches: shareable between infrastructures (LOCAL_INFRA_CACHE_DIR), e.g. a test's fresh broker.
    cache: cacheDir,
    kafkaLibs: join(cacheDir, `kafka-${kafkaVersion}`),
    kafkaData: join(env.LOCAL_KAFKA_DATA_DIR ?? join(dir, 'data', 'kafka')),
    mongoPort: Number(env.LOCAL_MONGO_PORT ?? 27017),
    mongoData: join(env.LOCAL_MONGO_DATA_DIR ?? join(dir, 'data', 'mongo')),
    // FerretDB's backend: postgresql (default; fast, pushes filters down to indexes) or sqlite (no server needed).
    ferretBackend: env.LOCAL_FERRETDB_BACKEND ?? 'postgresql',
    postgresPort: Number(env.LOCAL_POSTGRES_PORT ?? 5433),
    // Outside the checkout: PostgreSQL runs as the `postgres` user, who may not traverse it (e.g. below /root).
    postgresData: resolve(
      env.LOCAL_POSTGRES_DATA_DIR ??
        join(tmpdir(), `sc-local-infra-${createHash('sha256').update(dir).digest('hex').slice(0, 10)}`, 'postgres'),
    ),
    ferretVersion,
    // Rebuilt whenever the wrapper's source changes.
    ferretBinary: join(
      cacheDir,
      `ferretdb-${ferretVersion}-${sourceHash(join(here, 'ferretdb'), ['main.go', 'go.mod', 'go.sum'])}`,
    ),
    logs: join(dir, 'logs'),
    run: join(dir, 'run'),
  };
}

const log = (quiet, ...args) => {
  if (!quiet) console.log('[local-infra]', ...args);
};

function portAnswers(host, port, timeoutMs = 500) {
  return new Promise((resolvePort) => {
    const socket = connect({ host, port });
    const done = (ok) => {
      socket.destroy();
      resolvePort(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function waitFor(what, check, { timeoutMs, logFile }) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000}s; see ${logFile}`);
}

function onPath(binary) {
  return (process.env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, binary)));
}

function readPid(s, name) {
  const file = join(s.run, `${name}.pid`);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

function startDetached(s, name, command, args, options = {}) {
  mkdirSync(s.logs, { recursive: true });
  mkdirSync(s.run, { recursive: true });
  const logFile = join(s.logs, `${name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], ...options });
  child.unref();
  writeFileSync(join(s.run, `${name}.pid`), String(child.pid));
  return logFile;
}

// ---------------------------------------------------------------- Kafka

function ensureKafkaJars(s, quiet) {
  const marker = join(s.kafkaLibs, '.complete');
  if (existsSync(marker)) return;
  log(quiet, `resolving Apache Kafka ${s.kafkaVersion} jars from Maven Central (first run only)…`);
  rmSync(s.kafkaLibs, { recursive: true, force: true });
  const result = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      join(here, 'kafka', 'pom.xml'),
      'dependency:copy-dependencies',
      `-Dkafka.version=${s.kafkaVersion}`,
      `-DoutputDirectory=${s.kafkaLibs}`,
    ],
    { stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new Error(
      `mvn could not resolve the Kafka jars (exit ${result.status}):\n${result.stdout ?? ''}${result.stderr ?? ''}`,
    );
  }
  writeFileSync(marker, new Date().toISOString());
}

function kafkaServerProperties(s) {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=${s.host}:${s.kafkaControllerPort}`,
    `listeners=PLAINTEXT://${s.host}:${s.kafkaPort},CONTROLLER://${s.host}:${s.kafkaControllerPort}`,
    `advertised.listeners=PLAINTEXT://${s.host}:${s.kafkaPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${join(s.kafkaData, 'logs')}`,
    'num.partitions=1',
    // Topics are declared, never created by accident.
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'group.min.session.timeout.ms=1000',
    'log.retention.hours=168',
    '',
  ].join('\n');
}

function java(s, mainClass, args, options) {
  const classpath = `${s.kafkaLibs}/*`;
  return [
    'java',
    [
      `-Xms${s.kafkaHeap}`,
      `-Xmx${s.kafkaHeap}`,
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(here, 'kafka', 'log4j2.properties')}`,
      '-cp',
      classpath,
      mainClass,
      ...args,
    ],
    options,
  ];
}

async function kafkaUp(s, quiet) {
  if (await portAnswers(s.host, s.kafkaPort)) {
    log(quiet, `Kafka: ${s.host}:${s.kafkaPort} already answers, reusing it`);
    return false;
  }
  ensureKafkaJars(s, quiet);
  const config = join(s.kafkaData, 'server.properties');
  mkdirSync(s.kafkaData, { recursive: true });
  writeFileSync(config, kafkaServerProperties(s));
  if (!existsSync(join(s.kafkaData, 'logs', 'meta.properties'))) {
    // `=` keeps an id that starts with "-" (1 in 64 random ids) from being read as an option.
    const clusterId = randomBytes(16).toString('base64url');
    const [cmd, args] = java(s, 'kafka.tools.StorageTool', [
      'format',
      '--standalone',
      `--cluster-id=${clusterId}`,
      '-c',
      config,
    ]);
    // StorageTool prints the whole broker config; keep it for failures only.
    execFileSync(cmd, args, { stdio: 'pipe' });
  }
  const [cmd, args] = java(s, 'kafka.Kafka', [config]);
  const logFile = startDetached(s, 'kafka', cmd, args);
  log(quiet, `Kafka ${s.kafkaVersion}: starting on ${s.host}:${s.kafkaPort}, log ${logFile}`);
  await waitFor(
    'Kafka',
    async () => {
      if (!readPid(s, 'kafka')) throw new Error(`Kafka exited during start; see ${logFile}`);
      return (await portAnswers(s.host, s.kafkaPort)) && readFileSync(logFile, 'utf8').includes('Kafka Server started');
    },
    { timeoutMs: 120_000, logFile },
  );
  return true;
}

// ---------------------------------------------------------------- MongoDB

function ensureFerretDb(s, quiet) {
  if (existsSync(s.ferretBinary)) return;
  log(quiet, `building FerretDB ${s.ferretVersion} from the Go module proxy (first run only, may take minutes)…`);
  mkdirSync(dirname(s.ferretBinary), { recursive: true });
  const src = join(here, 'ferretdb');
  const env = { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' };
  // go.mod pins the version; LOCAL_FERRETDB_VERSION only overrides it when set.
  const steps = [['go', ['build', '-o', `${s.ferretBinary}.tmp`, '.']]];
  if (s.ferretVersion !== PINNED_FERRETDB)
    steps.unshift(
      ['go', ['mod', 'edit', `-require=github.com/FerretDB/FerretDB@${s.ferretVersion}`]],
      ['go', ['mod', 'tidy']],
    );
  for (const [cmd, args] of steps) {
    const r = spawnSync(cmd, args, { cwd: src, env, stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8' });
    if (r.status !== 0) {
      throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout ?? ''}${r.stderr ?? ''}`);
    }
  }
  execFileSync('mv', [`${s.ferretBinary}.tmp`, s.ferretBinary]);
}

// ---------------------------------------------------------------- PostgreSQL (FerretDB's backend)

function postgresBinDir(quiet) {
  const find = () => {
    const base = '/usr/lib/postgresql';
    const versions = existsSync(base)
      ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
      : [];
    versions.sort((a, b) => Number(b) - Number(a));
    return versions.length > 0 ? join(base, versions[0], 'bin') : undefined;
  };
  let bin = find();
  if (!bin && process.getuid?.() === 0) {
    log(quiet, 'installing PostgreSQL from Debian packages (FerretDB backend; first run only)…');
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'pipe' });
    spawnSync('apt-get', ['install', '-y', '-qq', 'postgresql'], {
      stdio: 'pipe',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
    bin = find();
  }
  return bin;
}

/** PostgreSQL refuses to run as root: as root, its commands run as the `postgres` user. */
function asPostgresUser(command, args) {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
}

async function postgresUp(s, bin, quiet) {
  if (await portAnswers(s.host, s.postgresPort)) return false;
  const logFile = join(dirname(s.postgresData), 'postgres.log');
  if (!existsSync(join(s.postgresData, 'PG_VERSION'))) {
    mkdirSync(s.postgresData, { recursive: true });
    if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'postgres:postgres', s.postgresData]);
    const [cmd, args] = asPostgresUser(join(bin, 'initdb'), [
      '-D',
      s.postgresData,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
    ]);
    execFileSync(cmd, args, { stdio: 'pipe' });
  }
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres:postgres', dirname(s.postgresData)]);
  // A throwaway local database: durability traded for speed.
  const options = `-p ${s.postgresPort} -k ${s.postgresData} -c listen_addresses=${s.host} -c max_connections=700 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB`;
  const [cmd, args] = asPostgresUser(join(bin, 'pg_ctl'), [
    '-D',
    s.postgresData,
    '-l',
    logFile,
    '-o',
    options,
    '-w',
    '-t',
    '60',
    'start',
  ]);
  execFileSync(cmd, args, { stdio: 'pipe' });
  const [psqlCmd, psqlArgs] = asPostgresUser(join(bin, 'psql'), [
    '-h',
    s.host,
    '-p',
    String(s.postgresPort),
    '-U',
    'postgres',
    '-tAc',
    "SELECT 1 FROM pg_database WHERE datname = 'ferretdb'",
  ]);
  if (execFileSync(psqlCmd, psqlArgs, { encoding: 'utf8' }).trim() !== '1') {
    const [c2, a2] = asPostgresUser(join(bin, 'createdb'), [
      '-h',
      s.host,
      '-p',
      String(s.postgresPort),
      '-U',
      'postgres',
      'ferretdb',
    ]);
    execFileSync(c2, a2, { stdio: 'pipe' });
  }
  log(quiet, `PostgreSQL: started on ${s.host}:${s.postgresPort} for FerretDB, log ${logFile}`);
  return true;
}

async function postgresDown(s, quiet) {
  if (!existsSync(join(s.postgresData, 'postmaster.pid'))) return;
  const bin = postgresBinDir(true);
  if (!bin) return;
  const [cmd, args] = asPostgresUser(join(bin, 'pg_ctl'), ['-D', s.postgresData, '-m', 'fast', '-w', 'stop']);
  spawnSync(cmd, args, { stdio: 'pipe' });
  log(quiet, 'postgres: stopped');
}

async function mongoUp(s, quiet) {
  if (await portAnswers(s.host, s.mongoPort)) {
    log(quiet, `MongoDB: ${s.host}:${s.mongoPort} already answers, reusing it`);
    return false;
  }
  mkdirSync(s.mongoData, { recursive: true });
  let logFile;
  if (onPath('mongod')) {
    logFile = startDetached(s, 'mongo', 'mongod', [
      '--dbpath',
      s.mongoData,
      '--port',
      String(s.mongoPort),
      '--bind_ip',
      s.host,
    ]);
    log(quiet, `MongoDB: starting mongod on ${s.host}:${s.mongoPort}, log ${logFile}`);
  } else {
    ensureFerretDb(s, quiet);
    const bin = s.ferretBackend === 'postgresql' ? postgresBinDir(quiet) : undefined;
    if (s.ferretBackend === 'postgresql' && !bin)
      log(quiet, 'PostgreSQL is not available; FerretDB falls back to SQLite (much slower on updates)');
    const backend = bin ? 'postgresql' : 'sqlite';
    if (bin) await postgresUp(s, bin, quiet);
    // FerretDB v1 holds a pooled connection per update statement until the command ends: a large pool avoids deadlocks.
    const backendArgs =
      backend === 'postgresql'
        ? [
            '-handler',
            'postgresql',
            '-postgresql-url',
            `postgres://postgres@${s.host}:${s.postgresPort}/ferretdb?pool_max_conns=600`,
          ]
        : ['-handler', 'sqlite', '-data-dir', s.mongoData];
    logFile = startDetached(s, 'mongo', s.ferretBinary, [
      '-listen',
      `${s.host}:${s.mongoPort}`,
      '-log-level',
      'error',
      ...backendArgs,
    ]);
    log(
      quiet,
      `MongoDB: starting FerretDB ${s.ferretVersion} (${backend}) on ${s.host}:${s.mongoPort}, log ${logFile}`,
    );
  }
  await waitFor(
    'MongoDB',
    async () => {
      if (!readPid(s, 'mongo')) throw new Error(`MongoDB exited during start; see ${logFile}`);
      return portAnswers(s.host, s.mongoPort);
    },
    { timeoutMs: 60_000, logFile },
  );
  return true;
}

// ---------------------------------------------------------------- commands

export async function up({ quiet = false, env = process.env, only = ['kafka', 'mongo'] } = {}) {
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
  return { ...urls, started: [...(kafkaStarted ? ['kafka'] : []), ...(mongoStarted ? ['mongo'] : [])] };
}

async function stopPid(s, name, quiet) {
  const pid = readPid(s, name);
  if (!pid) {
    log(quiet, `${name}: not started by local-infra`);
    return;
  }
  process.kill(-pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (readPid(s, name) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  if (readPid(s, name)) process.kill(-pid, 'SIGKILL');
  rmSync(join(s.run, `${name}.pid`), { force: true });
  log(quiet, `${name}: stopped (pid ${pid})`);
}

export async function down({ quiet = false, env = process.env, only = ['kafka', 'mongo'] } = {}) {
  const s = readInfraSettings(env);
  await Promise.all(only.map((name) => stopPid(s, name, quiet)));
  if (only.includes('mongo')) await postgresDown(s, quiet);
}

export async function status({ env = process.env } = {}) {
  const s = readInfraSettings(env);
  const rows = [
    ['kafka', s.kafkaPort, `Apache Kafka ${s.kafkaVersion} (KRaft)`, join(s.logs, 'kafka.log')],
    [
      'mongo',
      s.mongoPort,
      onPath('mongod') ? 'mongod' : `FerretDB ${s.ferretVersion} (${s.ferretBackend})`,
      join(s.logs, 'mongo.log'),
    ],
  ];
  if (!onPath('mongod') && s.ferretBackend === 'postgresql')
    rows.push([
      'postgres',
      s.postgresPort,
      'PostgreSQL (FerretDB backend)',
      join(dirname(s.postgresData), 'postgres.log'),
    ]);
  let allUp = true;
  for (const [name, port, what, logFile] of rows) {
    const answers = await portAnswers(s.host, port);
    const pid = readPid(s, name);
    allUp &&= answers;
    const owner = pid ? `pid ${pid}` : answers ? 'not ours' : '-';
    console.log(
      `${name.padEnd(6)} ${answers ? 'up  ' : 'down'} ${s.host}:${port}  ${owner.padEnd(10)} ${what}  log ${logFile}`,
    );
  }
  const cached = existsSync(s.kafkaLibs) ? readdirSync(s.kafkaLibs).length : 0;
  console.log(
    `cache  kafka jars: ${cached}, ferretdb binary: ${existsSync(s.ferretBinary) ? 'built' : 'not built'}  (${s.dir})`,
  );
  return allUp;
}

const isMain = process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const [command] = process.argv.slice(2);
  const quiet = process.argv.includes('--quiet');
  // `--only kafka` (or mongo): one service, e.g. a fresh broker on side ports beside the usual infrastructure.
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt > 0 ? [process.argv[onlyAt + 1]] : undefined;
  const commands = {
    up: () => up({ quiet, only }),
    down: () => down({ quiet, only }),
    status: async () => {
      if (!(await status())) process.exitCode = 1;
    },
  };
  const run = commands[command];
  if (!run) {
    console.error('usage: node tools/local-infra/cli.mjs up|down|status [--quiet] [--only kafka|mongo]');
    process.exit(2);
  }
  run().catch((err) => {
    console.error(`[local-infra] ${err.message}`);
    process.exit(1);
  });
}
