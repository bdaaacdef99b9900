// Progress of long work: a bar with rate and ETA redrawn in place on a terminal,
// plain lines at an interval in a log. The formatting is pure; the reporter only
// decides when to write.

/** Where a piece of work stands. */
export interface ProgressState {
  /** What is being done, e.g. `verify user_cards: reading`. */
  readonly label: string;
  readonly done: number;
  /** Unknown while the total is not known yet. */
  readonly total: number | undefined;
  /** Units per second (e.g. records/s), measured by the caller. */
  readonly ratePerSecond: number;
  /** Unit name for the plain line, e.g. `records`. */
  readonly unit: string;
}

const BAR_WIDTH = 20;

/** `1.2 s`, `45 s`, `3 min 05 s`, `2 h 07 min`; `?` when it cannot be known. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const s = Math.round(seconds);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** Time left at the current rate: `done` when finished, `?` without a rate or a total. */
export function formatEta(state: Pick<ProgressState, 'done' | 'total' | 'ratePerSecond'>): string {
  if (state.total === undefined) return '?';
  if (state.done >= state.total) return 'done';
  if (state.ratePerSecond <= 0) return '?';
  return formatDuration((state.total - state.done) / state.ratePerSecond);
}

function percent(done: number, total: number): number {
  return total <= 0 ? 100 : Math.min(100, Math.floor((done / total) * 100));
}

const count = (n: number): string => Math.round(n).toLocaleString('en');

/** The terminal form: `label [#########...........]  45%  1,234/2,742  410/s  ETA 3.7 s`. */
export function formatProgressBar(state: ProgressState): string {
  const rate = `${count(state.ratePerSecond)}/s`;
  if (state.total === undefined) return `${state.label}  ${count(state.done)}  ${rate}`;
  const p = percent(state.done, state.total);
  const filled = Math.round((p / 100) * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  return `${state.label} ${bar} ${String(p).padStart(3)}%  ${count(state.done)}/${count(state.total)}  ${rate}  ETA ${formatEta(state)}`;
}

/** The log form: `label: 1,234 of 2,742 records (45%), 410 records/s, ETA 3.7 s`. */
export function formatProgressLine(state: ProgressState): string {
  const rate = `${count(state.ratePerSecond)} ${state.unit}/s`;
  if (state.total === undefined) return `${state.label}: ${count(state.done)} ${state.unit}, ${rate}`;
  return `${state.label}: ${count(state.done)} of ${count(state.total)} ${state.unit} (${percent(state.done, state.total)}%), ${rate}, ETA ${formatEta(state)}`;
}

/** Where the reporter writes: stderr in the CLI, an array in tests. */
export interface ProgressOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

/** Options of {@link createProgressReporter}. */
export interface ProgressOptions {
  /** Redraws at most this often on a terminal. Default 200 ms. */
  readonly ttyIntervalMs?: number;
  /** Prints a plain line at most this often in a log. Default 5 s. */
  readonly lineIntervalMs?: number;
  readonly now?: () => number;
  /** No output at all (e.g. `--json` to a pipe still gets lines on stderr; tests pass true). */
  readonly quiet?: boolean;
}

/** Reports one piece of work at a time. */
export interface ProgressReporter {
  /** Starts a new piece of work (ends the previous bar). */
  start(label: string, total: number | undefined, unit?: string): void;
  /** Sets how much is done (and the total, once known). */
  update(done: number, total?: number): void;
  /** Draws the final state and ends the line. */
  finish(): void;
}

/**
 * A reporter that draws a bar with rate and ETA in place on a terminal (`\r`, at most
 * every `ttyIntervalMs`) and writes plain lines every `lineIntervalMs` otherwise. The
 * rate is the average since `start`.
 */
export function createProgressReporter(output: ProgressOutput, options: ProgressOptions = {}): ProgressReporter {
  const now = options.now ?? Date.now;
  const tty = output.isTTY === true;
  const interval = tty ? (options.ttyIntervalMs ?? 200) : (options.lineIntervalMs ?? 5000);
  let label = '';
  let unit = 'records';
  let total: number | undefined;
  let done = 0;
  let startedAt = 0;
  let lastDrawn = -Infinity;
  let active = false;

  const state = (): ProgressState => {
    const seconds = (now() - startedAt) / 1000;
    return { label, done, total, unit, ratePerSecond: seconds > 0 ? done / seconds : 0 };
  };
  const draw = (final: boolean): void => {
    if (options.quiet) return;
    if (tty) output.write(`\r\x1b[2K${formatProgressBar(state())}${final ? '\n' : ''}`);
    else output.write(`${formatProgressLine(state())}\n`);
    lastDrawn = now();
  };

  return {
    start(newLabel, newTotal, newUnit = 'records') {
      if (active) this.finish();
      label = newLabel;
      total = newTotal;
      unit = newUnit;
      done = 0;
      startedAt = now();
      lastDrawn = -Infinity;
      active = true;
    },
    update(newDone, newTotal) {
      done = newDone;
      if (newTotal !== undefined) total = newTotal;
      if (now() - lastDrawn >= interval) draw(false);
    },
    finish() {
      if (!active) return;
      active = false;
      draw(true);
    },
  };
}
