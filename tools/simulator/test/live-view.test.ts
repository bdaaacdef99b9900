import {
  RateMeter,
  catchUpEta,
  formatDuration,
  producedCounter,
  progressBar,
  renderProjectionRows,
} from '../src/live-view';
import type { ProjectionRow } from '../src/live-view';

describe('live view', () => {
  it('formats durations for a person waiting', () => {
    expect([0.2, 1, 42.4, 60, 185, 3599, 3600, 3720, 90061].map(formatDuration)).toEqual([
      '<1s',
      '1s',
      '42s',
      '1m00s',
      '3m05s',
      '59m59s',
      '1h00m',
      '1h02m',
      '25h01m',
    ]);
  });

  it('estimates the time to catch up from the lag and the net rate, and says when it will not', () => {
    expect(catchUpEta(0, undefined, 0)).toBe('caught up');
    expect(catchUpEta(0, 0, 500)).toBe('caught up');
    expect(catchUpEta(1200, undefined, 0)).toBe('-');
    expect(catchUpEta(1200, 0, 0)).toBe('stalled');
    // Publishing is over: the lag shrinks at the consumption rate.
    expect(catchUpEta(1200, 200, 0)).toBe('6s');
    expect(catchUpEta(90_000, 250, 0)).toBe('6m00s');
    // Still publishing 150/s on its topics: it gains 50/s.
    expect(catchUpEta(1200, 200, 150)).toBe('24s');
    expect(catchUpEta(1200, 200, 200)).toBe('falling behind');
    expect(catchUpEta(1200, 200, 900)).toBe('falling behind');
    expect(catchUpEta(10, 200, 0)).toBe('<1s');
  });

  it('draws how much of the produced stream is consumed, full only when all of it is', () => {
    expect(progressBar(0, 100)).toBe('[................]   0%');
    expect(progressBar(25, 100)).toBe('[####............]  25%');
    expect(progressBar(50, 100, 10)).toBe('[#####.....]  50%');
    expect(progressBar(999, 1000, 10)).toBe('[#########.]  99%');
    expect(progressBar(1000, 1000, 10)).toBe('[##########] 100%');
    // Records of an earlier run still unconsumed when the worker started: more than produced now.
    expect(progressBar(1200, 1000, 10)).toBe('[##########] 100%');
    expect(progressBar(0, 0, 10)).toBe('[..........]    -');
  });

  it('renders a row per projection with the bar and the ETA, and "down" for a worker that does not answer', () => {
    const rows: ProjectionRow[] = [
      {
        name: 'user_cards',
        counters: { applied: 900, stale: 50, ignored: 10, deadLettered: 5, consumed: 965 },
        lag: 1035,
        perSecond: 212.4,
        produced: 2000,
        consumeRate: 207,
        produceRate: 0,
      },
      {
        name: 'feed_items',
        counters: undefined,
        lag: 700,
        perSecond: 0,
        produced: 700,
        consumeRate: undefined,
        produceRate: 0,
      },
      {
        name: 'order_summaries',
        counters: { applied: 1900, stale: 80, ignored: 12, deadLettered: 8, consumed: 2000 },
        lag: 0,
        perSecond: 0,
        produced: 2000,
        consumeRate: 0,
        produceRate: 0,
      },
    ];
    expect(renderProjectionRows(rows).split('\n')).toEqual([
      'projection       applied  stale  ignored  dead-lettered  lag   events/s  consumed of produced     ETA',
      '---------------  -------  -----  -------  -------------  ----  --------  -----------------------  ---------',
      'user_cards       900      50     10       5              1035  212       [#######.........]  48%  5s',
      'feed_items       down     -      -        -              700   0         -                        -',
      'order_summaries  1900     80     12       8              0     0         [################] 100%  caught up',
    ]);
  });

  it('measures a rate over a sliding window of samples', () => {
    const meter = new RateMeter(10_000);
    expect(meter.add(0, 0)).toBeUndefined();
    expect(meter.add(1000, 100)).toBe(100);
    expect(meter.add(2000, 300)).toBe(150);
    // Samples older than the window drop out: from t=2s (300) to t=12s (1300).
    expect(meter.add(12_000, 1300)).toBe(100);
    // A counter that restarts (worker restarted) gives 0, not a negative rate.
    expect(meter.add(13_000, 5)).toBe(0);
  });

  it('counts the records produced so far on a projection’s topics', () => {
    const records = ['a', 'b', 'a', 'c', 'b', 'a'].map((topic) => ({ topic }));
    const ofA = producedCounter(records, ['a']);
    const ofBC = producedCounter(records, ['b', 'c']);
    expect([0, 1, 2, 3, 6, 99].map(ofA)).toEqual([0, 1, 1, 2, 3, 3]);
    expect([0, 2, 4, 6].map(ofBC)).toEqual([0, 1, 2, 3]);
  });
});
