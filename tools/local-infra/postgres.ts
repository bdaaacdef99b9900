// ---------------------------------------------------------------- PostgreSQL (FerretDB's backend)
//
// Debian's PostgreSQL (installed on first use when running as root), as a throwaway
// local database on its own port, data outside the checkout.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from './processes';
import { log, portAnswers } from './processes';
import { FERRETDB_POSTGRES_SETTINGS, MIRROR_INDEXES_SQL } from './postgres-tuning';
import type { InfraSettings } from './settings';

const isRoot = (): boolean => process.getuid?.() === 0;

/** The newest /usr/lib/postgresql/<version>/bin, installing PostgreSQL first when root and none is there. */
export function postgresBinDir(quiet: boolean): string | undefined {
  const find = (): string | undefined => {
    const base = '/usr/lib/postgresql';
    const versions = existsSync(base)
      ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
      : [];
    versions.sort((a, b) => Number(b) - Number(a));
    return versions[0] === undefined ? undefined : join(base, versions[0], 'bin');
  };
  let bin = find();
  if (!bin && isRoot()) {
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
function asPostgresUser(command: string, args: readonly string[]): Command {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, [...args]];
}

function runAsPostgres(command: string, args: readonly string[]): string {
  const [cmd, cmdArgs] = asPostgresUser(command, args);
  return execFileSync(cmd, cmdArgs, { encoding: 'utf8', stdio: 'pipe' });
}

/** Starts PostgreSQL (initdb and the `ferretdb` database on first use) unless its port answers; true when it started it. */
export async function postgresUp(s: InfraSettings, bin: string, quiet: boolean): Promise<boolean> {
  if (await portAnswers(s.host, s.postgresPort)) return false;
  const logFile = join(dirname(s.postgresData), 'postgres.log');
  if (!existsSync(join(s.postgresData, 'PG_VERSION'))) {
    mkdirSync(s.postgresData, { recursive: true });
    if (isRoot()) execFileSync('chown', ['-R', 'postgres:postgres', s.postgresData]);
    runAsPostgres(join(bin, 'initdb'), ['-D', s.postgresData, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
  }
  if (isRoot()) execFileSync('chown', ['postgres:postgres', dirname(s.postgresData)]);
  // A throwaway local database: durability traded for speed.
  const options = `-p ${s.postgresPort} -k ${s.postgresData} -c listen_addresses=${s.host} -c max_connections=700 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=256MB ${Object.entries(
    FERRETDB_POSTGRES_SETTINGS,
  )
    .map(([name, value]) => `-c ${name}=${value}`)
    .join(' ')}`;
  runAsPostgres(join(bin, 'pg_ctl'), ['-D', s.postgresData, '-l', logFile, '-o', options, '-w', '-t', '60', 'start']);
  const client = ['-h', s.host, '-p', String(s.postgresPort), '-U', 'postgres'];
  const exists = runAsPostgres(join(bin, 'psql'), [
    ...client,
    '-tAc',
    "SELECT 1 FROM pg_database WHERE datname = 'ferretdb'",
  ]);
  if (exists.trim() !== '1') runAsPostgres(join(bin, 'createdb'), [...client, 'ferretdb']);
  runAsPostgres(join(bin, 'psql'), [...client, '-d', 'ferretdb', '-v', 'ON_ERROR_STOP=1', '-qc', MIRROR_INDEXES_SQL]);
  log(quiet, `PostgreSQL: started on ${s.host}:${s.postgresPort} for FerretDB, log ${logFile}`);
  return true;
}

/** Stops the PostgreSQL of these settings, if it runs. */
export function postgresDown(s: InfraSettings, quiet: boolean): void {
  if (!existsSync(join(s.postgresData, 'postmaster.pid'))) return;
  const bin = postgresBinDir(true);
  if (!bin) return;
  const [cmd, args] = asPostgresUser(join(bin, 'pg_ctl'), ['-D', s.postgresData, '-m', 'fast', '-w', 'stop']);
  spawnSync(cmd, args, { stdio: 'pipe' });
  log(quiet, 'postgres: stopped');
}
