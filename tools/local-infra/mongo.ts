// ---------------------------------------------------------------- MongoDB
//
// A real mongod when one is on PATH, else FerretDB.
import { mkdirSync } from 'node:fs';
import { ferretDbUp } from './ferretdb';
import { log, onPath, portAnswers, readPid, startDetached, waitFor } from './processes';
import type { InfraSettings } from './settings';

/** What serves MongoDB here: `mongod` from PATH, or FerretDB. */
export function mongoServer(): 'mongod' | 'ferretdb' {
  return onPath('mongod') ? 'mongod' : 'ferretdb';
}

/** Starts MongoDB unless its port already answers; true when it started it. */
export async function mongoUp(s: InfraSettings, quiet: boolean): Promise<boolean> {
  if (await portAnswers(s.host, s.mongoPort)) {
    log(quiet, `MongoDB: ${s.host}:${s.mongoPort} already answers, reusing it`);
    return false;
  }
  mkdirSync(s.mongoData, { recursive: true });
  let logFile: string;
  if (mongoServer() === 'mongod') {
    logFile = startDetached(s, 'mongo', [
      'mongod',
      ['--dbpath', s.mongoData, '--port', String(s.mongoPort), '--bind_ip', s.host],
    ]);
    log(quiet, `MongoDB: starting mongod on ${s.host}:${s.mongoPort}, log ${logFile}`);
  } else {
    logFile = await ferretDbUp(s, quiet);
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
