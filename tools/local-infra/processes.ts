// ---------------------------------------------------------------- processes
//
// Detached servers with pid files, ports that answer, and waiting for them.
import { spawn } from 'node:child_process';
import type { SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';
import type { InfraSettings } from './settings';

/** A program and its arguments, ready for spawn/execFileSync. */
export type Command = readonly [command: string, args: string[]];

/** Progress lines on stdout, unless quiet. */
export function log(quiet: boolean, ...args: unknown[]): void {
  if (!quiet) console.log('[local-infra]', ...args);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Whether something accepts TCP connections on host:port. */
export function portAnswers(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolvePort(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Polls `check` until it holds; throws (naming the log file) after `timeoutMs`, or when `check` throws. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  { timeoutMs, logFile }: { readonly timeoutMs: number; readonly logFile: string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(250);
  }
  throw new Error(`${what} did not become ready within ${timeoutMs / 1000}s; see ${logFile}`);
}

export function onPath(binary: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((d) => d && existsSync(join(d, binary)));
}

/** The pid local-infra recorded for `name`, if that process still runs. */
export function readPid(s: InfraSettings, name: string): number | undefined {
  const file = join(s.run, `${name}.pid`);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Starts a server in a process group of its own, logging to logs/<name>.log; records its pid. Returns the log file. */
export function startDetached(
  s: InfraSettings,
  name: string,
  [command, args]: Command,
  options: SpawnOptions = {},
): string {
  mkdirSync(s.logs, { recursive: true });
  mkdirSync(s.run, { recursive: true });
  const logFile = join(s.logs, `${name}.log`);
  const out = openSync(logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', out, out], ...options });
  child.unref();
  // A spawn failure (e.g. ENOENT) leaves no pid and is reported here, not as an unhandled 'error' event.
  child.once('error', () => undefined);
  if (child.pid === undefined) throw new Error(`${command} could not be started (is it installed?)`);
  writeFileSync(join(s.run, `${name}.pid`), String(child.pid));
  return logFile;
}

/** Stops what startDetached started: SIGTERM to its group, SIGKILL after 30 s. */
export async function stopPid(s: InfraSettings, name: string, quiet: boolean): Promise<void> {
  const pid = readPid(s, name);
  if (!pid) {
    log(quiet, `${name}: not started by local-infra`);
    return;
  }
  process.kill(-pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (readPid(s, name) && Date.now() < deadline) await sleep(200);
  if (readPid(s, name)) process.kill(-pid, 'SIGKILL');
  rmSync(join(s.run, `${name}.pid`), { force: true });
  log(quiet, `${name}: stopped (pid ${pid})`);
}
