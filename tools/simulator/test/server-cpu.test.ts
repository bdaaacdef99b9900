import { readFileSync } from 'node:fs';
import { parseProcStat, serverCpuSeconds } from '../src/server-cpu';

describe('server CPU from /proc', () => {
  it('given a stat line whose name holds spaces and parentheses, then the name and the four CPU fields are read', () => {
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime …
    const line = '4242 (postgres: a (b) c) S 1 4242 4242 0 -1 4194560 10 0 0 0 120 30 7 3 20 0 1 0 99 1000 10';
    expect(parseProcStat(line)).toEqual({ name: 'postgres: a (b) c', ticks: 160 });
  });

  it('given a line that is not a stat line, then nothing is read', () => {
    expect(parseProcStat('no name here')).toBeUndefined();
    expect(parseProcStat('1 (x) S 1 2')).toBeUndefined();
  });

  it('given the name of this very process, when it has worked, then its CPU seconds are counted', () => {
    const own = parseProcStat(readFileSync('/proc/self/stat', 'utf8'))!;
    // At least a clock tick of work (1/100 s), whatever ran before.
    const until = Date.now() + 50;
    while (Date.now() < until);
    expect(serverCpuSeconds([own.name])).toBeGreaterThan(0);
  });

  it('given names no process has, then there is no figure', () => {
    expect(serverCpuSeconds(['no-such-server-process'])).toBeUndefined();
  });
});
