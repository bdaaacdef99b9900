import { createWorkerMetrics, observeRecordAges, sumMetricSamples } from '../src/metrics';

describe('observeRecordAges', () => {
  it('given records stamped 40 ms and 2 s before now, when observed, then the histogram holds their ages in seconds', () => {
    const ages: number[] = [];
    observeRecordAges(
      { observe: (value: number) => void ages.push(value) },
      [{ timestamp: '9960' }, { timestamp: '8000' }],
      10_000,
    );
    expect(ages).toEqual([0.04, 2]);
  });

  it('given records without a usable timestamp, when observed, then they are left out rather than counted', () => {
    const ages: number[] = [];
    observeRecordAges(
      { observe: (value: number) => void ages.push(value) },
      [{ timestamp: '-1' }, { timestamp: '' }, { timestamp: 'x' }, { timestamp: '10001' }, { timestamp: '10000' }],
      10_000,
    );
    expect(ages).toEqual([0]);
  });

  it("given a worker's metrics, when ages are observed, then /metrics shows them as sc_projection_record_age_seconds", async () => {
    const metrics = createWorkerMetrics('user_cards');
    observeRecordAges(metrics.recordAge, [{ timestamp: '900' }, { timestamp: '700' }], 1_000);
    const text = await metrics.registry.metrics();
    expect(sumMetricSamples(text, 'sc_projection_record_age_seconds_count')).toBe(2);
    expect(sumMetricSamples(text, 'sc_projection_record_age_seconds_sum')).toBeCloseTo(0.4);
    expect(sumMetricSamples(text, 'sc_projection_record_age_seconds_bucket', { le: '0.25' })).toBe(1);
  });
});
