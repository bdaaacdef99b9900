// `npm start`: the main job on one machine (start.mjs installs the packages first,
// then calls `main`).
//
// Brings up Kafka and MongoDB (tools/local-infra, unless KAFKA_BROKERS and
// MONGO_URL are set), builds the three worker bundles and runs each as its own
// process, as Kubernetes would, then runs the simulator: it publishes the
// platform's events and shows the projections live. Ctrl-C stops everything
// gracefully and prints a summary. Arguments go to the simulator (e.g. --once,
// --scale 1000, --rate 2000; see tools/simulator/src/options.ts).
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { WORKERS, probePorts } from '@sc/read-models';
import { readInfraSettings, up } from '../local-infra/commands';

/** Brings the local infrastructure up; returns what the summary says about it (it keeps running). */
async function startLocalInfra(env: NodeJS.ProcessEnv): Promise<string> {
  const infra = await up({ env });
  env['KAFKA_BROKERS'] = infra.KAFKA_BROKERS;
  env['MONGO_URL'] = infra.MONGO_URL;
  const s = readInfraSettings(env);
  const mongod = spawnSync('sh', ['-c', 'command -v mongod'], { stdio: 'ignore' }).status === 0;
  const mongo = mongod
    ? `mongod ${infra.MONGO_URL}`
    : s.ferretBackend === 'postgresql'
      ? `FerretDB ${infra.MONGO_URL} on PostgreSQL ${s.host}:${s.postgresPort}`
      : `FerretDB ${infra.MONGO_URL} on SQLite`;
  return `The local infrastructure keeps running (Kafka ${infra.KAFKA_BROKERS}, ${mongo}) so that \`npm run status\` and the next \`npm start\` can use it; \`npm run infra:down\` stops it.`;
}

const exitedAlready = (child: ChildProcess): boolean => child.exitCode !== null || child.signalCode !== null;

/** Runs everything until the simulator ends; returns the exit code. `env` is the children's environment. */
export async function main(root: string, env: NodeJS.ProcessEnv, simulatorArgs: readonly string[]): Promise<number> {
  const logDir = join(root, '.local-infra', 'logs');
  const runOrExit = (command: string, args: readonly string[]): void => {
    const result = spawnSync(command, args, { stdio: 'inherit', env });
    if (result.status !== 0) process.exit(result.status ?? 1);
  };

  // What the summary says keeps running afterwards (the local infrastructure), if anything.
  const infraNote = env['KAFKA_BROKERS'] && env['MONGO_URL'] ? undefined : await startLocalInfra(env);
  runOrExit('npx', ['nx', 'run-many', '-t', 'build', '--outputStyle=static']);
  mkdirSync(logDir, { recursive: true });

  let stopping = false;
  const portBase = env['START_HTTP_PORT_BASE'] ? Number(env['START_HTTP_PORT_BASE']) : undefined;
  const ports = probePorts(portBase);
  const children = WORKERS.map(({ app }, i) => {
    const child = spawn(process.execPath, [join(root, 'dist', 'apps', app, 'main.js')], {
      env: { KAFKA_CREATE_TOPICS: 'true', HTTP_PORT: String(ports[i]), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // A group of its own: Ctrl-C reaches this script and the simulator only; the workers get one SIGTERM each.
      detached: true,
    });
    // Worker logs go to a file: the terminal belongs to the live view.
    const log = createWriteStream(join(logDir, `${app}.log`), { flags: 'a' });
    child.stdout.pipe(log);
    child.stderr.pipe(log);
    child.on('exit', (code, signal) => {
      if (!stopping) console.error(`${app} exited unexpectedly (${code ?? signal}); see ${join(logDir, `${app}.log`)}`);
    });
    return child;
  });
  console.log(
    `workers started (logs in ${logDir}); probes and metrics on ${ports.map((port) => `http://127.0.0.1:${port}/metrics`).join(', ')}`,
  );

  // The simulator publishes the platform's events and shows the projections live (see tools/simulator).
  const simulator = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'tools', 'simulator', 'src', 'main.ts'), 'run', ...simulatorArgs],
    {
      env: { ...env, START_HTTP_PORT_BASE: String(ports[0]) },
      stdio: 'inherit',
    },
  );
  // Ctrl-C reaches the simulator too: it stops publishing and prints its summary; then the workers stop.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => simulator.kill('SIGTERM'));
  const simulatorCode = await new Promise<number>((r) => simulator.on('exit', (code) => r(code ?? 1)));
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(
    children.map((child) => new Promise<void>((r) => (exitedAlready(child) ? r() : child.on('exit', () => r())))),
  );
  const workersClean = children.every((c) => c.exitCode === 0);
  console.log(
    `workers stopped${workersClean ? ' cleanly' : `: exit codes ${children.map((c) => c.exitCode ?? c.signalCode).join(', ')}`}`,
  );
  if (infraNote) console.log(infraNote);
  return simulatorCode === 0 && workersClean ? 0 : 1;
}
