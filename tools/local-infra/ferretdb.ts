// ---------------------------------------------------------------- FerretDB
//
// A MongoDB wire-compatible server where no mongod is installed: a tiny Go wrapper
// (ferretdb/main.go) built once from the Go module proxy, on PostgreSQL (or SQLite).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from './processes';
import { log, startDetached } from './processes';
import { postgresBinDir, postgresUp } from './postgres';
import type { InfraSettings } from './settings';
import { INFRA_SOURCES, PINNED_FERRETDB } from './settings';

/**
 * The Go runtime's settings for FerretDB. It allocates a decoded document for every row
 * it reads and writes, and its live heap is small (tens of MB): with Go's default
 * `GOGC=100` its garbage collector took ~12% of its CPU in a profile of a worker's run.
 * At 400 the server's CPU per record fell by 10-22% in alternated bench runs
 * (user-cards 447-454 against 548-647 µs, order-summary 667-769 against 753-854);
 * `GOMEMLIMIT` makes it collect sooner should its heap ever grow near 1 GiB.
 */
export const FERRETDB_GO_RUNTIME: Readonly<Record<string, string>> = Object.freeze({
  GOGC: '400',
  GOMEMLIMIT: '1GiB',
});

/** Whether the FerretDB binary of these settings has been built. */
export function ferretDbBuilt(s: InfraSettings): boolean {
  return existsSync(s.ferretBinary);
}

function ensureFerretDb(s: InfraSettings, quiet: boolean): void {
  if (ferretDbBuilt(s)) return;
  log(quiet, `building FerretDB ${s.ferretVersion} from the Go module proxy (first run only, may take minutes)…`);
  mkdirSync(dirname(s.ferretBinary), { recursive: true });
  const src = join(INFRA_SOURCES, 'ferretdb');
  const env = { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0' };
  // go.mod pins the version; LOCAL_FERRETDB_VERSION only overrides it when set.
  const steps: Command[] = [['go', ['build', '-o', `${s.ferretBinary}.tmp`, '.']]];
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

/**
 * FerretDB's URL of the local PostgreSQL: over the Unix socket PostgreSQL keeps in its data
 * folder (`-k`) when there is one, else over TCP (a PostgreSQL that already answered on the
 * port, started by someone else). FerretDB runs a few SQL round trips for every document it
 * updates, and on this project's development VM a loopback TCP round trip costs both
 * processes more CPU than a Unix socket's: in alternated bench runs the server's CPU per
 * record fell by 20-27% for the user-cards worker (see the README). The pool is large
 * because FerretDB v1 holds a pooled connection per update statement until the command
 * ends and deadlocks when they run out.
 */
export function ferretDbPostgresUrl(s: InfraSettings): string {
  const pool = 'pool_max_conns=600';
  if (!existsSync(join(s.postgresData, `.s.PGSQL.${s.postgresPort}`)))
    return `postgres://postgres@${s.host}:${s.postgresPort}/ferretdb?${pool}`;
  return `postgres://postgres@/ferretdb?host=${encodeURIComponent(s.postgresData)}&port=${s.postgresPort}&${pool}`;
}

/**
 * Builds FerretDB if needed and starts it on the MongoDB port, on PostgreSQL (started
 * here when needed) or, when PostgreSQL is unavailable or not wanted, on SQLite.
 * Returns its log file.
 */
export async function ferretDbUp(s: InfraSettings, quiet: boolean): Promise<string> {
  ensureFerretDb(s, quiet);
  const bin = s.ferretBackend === 'postgresql' ? postgresBinDir(quiet) : undefined;
  if (s.ferretBackend === 'postgresql' && !bin)
    log(quiet, 'PostgreSQL is not available; FerretDB falls back to SQLite (much slower on updates)');
  if (bin) await postgresUp(s, bin, quiet);
  const backendArgs = bin
    ? ['-handler', 'postgresql', '-postgresql-url', ferretDbPostgresUrl(s)]
    : ['-handler', 'sqlite', '-data-dir', s.mongoData];
  const logFile = startDetached(
    s,
    'mongo',
    [s.ferretBinary, ['-listen', `${s.host}:${s.mongoPort}`, '-log-level', 'error', ...backendArgs]],
    { env: { ...process.env, ...FERRETDB_GO_RUNTIME } },
  );
  log(
    quiet,
    `MongoDB: starting FerretDB ${s.ferretVersion} (${bin ? 'postgresql' : 'sqlite'}) on ${s.host}:${s.mongoPort}, log ${logFile}`,
  );
  return logFile;
}
