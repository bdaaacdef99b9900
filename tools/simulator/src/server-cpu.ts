// CPU the servers on this machine used, read from /proc: the bench sets it beside the
// worker's own, because on a small machine the store's server is what bounds the rate.
import { readFileSync, readdirSync } from 'node:fs';

/** The processes counted by default: the local MongoDB-wire server and its database. */
export const DEFAULT_SERVER_PROCESSES: readonly string[] = ['ferretdb', 'postgres', 'mongod'];

/** Linux reports /proc times in clock ticks of 1/100 s (USER_HZ) on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** One process's line of `/proc/<pid>/stat`: its name and its CPU ticks, its reaped children's included. */
export interface ProcessCpu {
  readonly name: string;
  readonly ticks: number;
}

/**
 * Parses `/proc/<pid>/stat`. The name is in parentheses and may hold spaces or
 * parentheses itself, so the fields are counted from the last `)`.
 */
export function parseProcStat(line: string): ProcessCpu | undefined {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // After the name: state, ppid, … with utime, stime, cutime, cstime the 12th to 15th.
  const fields = line
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const ticks = [11, 12, 13, 14].map((i) => Number(fields[i]));
  if (ticks.some((t) => !Number.isFinite(t))) return undefined;
  return { name: line.slice(open + 1, close), ticks: ticks.reduce((a, b) => a + b, 0) };
}

/**
 * CPU seconds used so far by every process whose name starts with one of `names`
 * (with the children each has reaped: PostgreSQL's backends that ended), or
 * undefined when none runs here (a remote cluster) or there is no /proc.
 */
export function serverCpuSeconds(names: readonly string[] = DEFAULT_SERVER_PROCESSES): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  let ticks = 0;
  let found = false;
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: ProcessCpu | undefined;
    try {
      stat = parseProcStat(readFileSync(`/proc/${entry}/stat`, 'utf8'));
    } catch {
      continue; // ended while we looked
    }
    if (stat === undefined || !names.some((name) => stat.name.startsWith(name))) continue;
    found = true;
    ticks += stat.ticks;
  }
  return found ? ticks / TICKS_PER_SECOND : undefined;
}
