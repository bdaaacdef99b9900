import {
  createProgressReporter,
  formatDuration,
  formatEta,
  formatProgressBar,
  formatProgressLine,
} from '../src/progress';

describe('progress formatting', () => {
  const state = { label: 'verify user_cards', done: 1234, total: 2742, ratePerSecond: 410, unit: 'records' };

  it('draws a bar with percentage, counts, rate and ETA', () => {
    expect(formatProgressBar(state)).toBe(
      'verify user_cards [#########...........]  45%  1,234/2,742  410/s  ETA 3.7 s',
    );
    expect(formatProgressBar({ ...state, done: 2742 })).toBe(
      'verify user_cards [####################] 100%  2,742/2,742  410/s  ETA done',
    );
    expect(formatProgressBar({ ...state, total: undefined })).toBe('verify user_cards  1,234  410/s');
  });

  it('writes a plain line for logs', () => {
    expect(formatProgressLine(state)).toBe('verify user_cards: 1,234 of 2,742 records (45%), 410 records/s, ETA 3.7 s');
    expect(formatProgressLine({ ...state, total: undefined })).toBe('verify user_cards: 1,234 records, 410 records/s');
  });

  it('gives an ETA only when it can be known', () => {
    expect(formatEta({ done: 0, total: 100, ratePerSecond: 0 })).toBe('?');
    expect(formatEta({ done: 0, total: undefined, ratePerSecond: 5 })).toBe('?');
    expect(formatEta({ done: 50, total: 100, ratePerSecond: 1 })).toBe('50 s');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(7620)).toBe('2 h 07 min');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('?');
  });
});

describe('createProgressReporter', () => {
  function fakeOutput(isTTY: boolean) {
    const written: string[] = [];
    return { written, output: { isTTY, write: (text: string) => written.push(text) } };
  }

  it('redraws the bar in place on a terminal, at most every interval, and ends the line', () => {
    let now = 0;
    const { written, output } = fakeOutput(true);
    const progress = createProgressReporter(output, { now: () => now, ttyIntervalMs: 200 });
    progress.start('rebuild', 1000);
    now = 1000;
    progress.update(100);
    now = 1100;
    progress.update(150); // within the interval: not drawn
    now = 2000;
    progress.update(400);
    progress.finish();
    expect(written).toHaveLength(3);
    expect(written[0]).toBe('\r\x1b[2Krebuild [##..................]  10%  100/1,000  100/s  ETA 9.0 s');
    expect(written[1]).toBe('\r\x1b[2Krebuild [########............]  40%  400/1,000  200/s  ETA 3.0 s');
    expect(written[2]?.endsWith('\n')).toBe(true);
  });

  it('writes plain lines every few seconds in a log', () => {
    let now = 0;
    const { written, output } = fakeOutput(false);
    const progress = createProgressReporter(output, { now: () => now, lineIntervalMs: 5000 });
    progress.start('verify', undefined);
    for (now = 1000; now <= 12_000; now += 1000) progress.update(now / 10, 2000);
    progress.finish();
    expect(written).toEqual([
      'verify: 100 of 2,000 records (5%), 100 records/s, ETA 19 s\n',
      'verify: 600 of 2,000 records (30%), 100 records/s, ETA 14 s\n',
      'verify: 1,100 of 2,000 records (55%), 100 records/s, ETA 9.0 s\n',
      // finished at 13 s (after the loop's last step): 1,200 in 13 s
      'verify: 1,200 of 2,000 records (60%), 92 records/s, ETA 8.7 s\n',
    ]);
  });

  it('is silent when quiet', () => {
    const { written, output } = fakeOutput(true);
    const progress = createProgressReporter(output, { quiet: true });
    progress.start('x', 1);
    progress.update(1);
    progress.finish();
    expect(written).toEqual([]);
  });
});
