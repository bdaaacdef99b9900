import { ProjectionError } from '@sc/service-kit';
import { PauseNotAcknowledged, waitForAcknowledgements } from '../src/pause';
import type { AcknowledgementSource } from '../src/pause';

type Ack = Awaited<ReturnType<AcknowledgementSource['acks']>>[number];

/** A group and its acknowledgements that change as the fake clock moves. */
function source(script: (clock: number) => { members: string[]; acks: Ack[] }) {
  let clock = 0;
  const sleeps: number[] = [];
  const src: AcknowledgementSource = {
    members: async () => script(clock).members,
    acks: async () => script(clock).acks,
    now: () => clock,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
  };
  return { src, sleeps };
}
const paused = (member: string, request = 'r1'): Ack => ({ member, request, state: 'paused' });
const options = { request: 'r1', group: 'sc-proj-user-cards', timeoutMs: 1_000, pollMs: 100 };

describe('waitForAcknowledgements', () => {
  it('returns once every member has acknowledged this request, looking again meanwhile', async () => {
    const { src, sleeps } = source((t) => ({
      members: ['m1', 'm2'],
      acks: t < 300 ? [paused('m1'), paused('m2', 'r0')] : [paused('m1'), paused('m2')],
    }));
    await expect(waitForAcknowledgements(src, options)).resolves.toEqual(['m1', 'm2']);
    expect(sleeps).toEqual([100, 100, 100]);
  });

  it('waits for nothing when the live group has no member', async () => {
    const { src, sleeps } = source(() => ({ members: [], acks: [] }));
    await expect(waitForAcknowledgements(src, options)).resolves.toEqual([]);
    expect(sleeps).toEqual([]);
  });

  it('waits for a member that joins meanwhile too', async () => {
    const { src } = source((t) => ({
      members: t < 100 ? ['m1'] : ['m1', 'm3'],
      acks: t < 300 ? [] : t < 500 ? [paused('m1')] : [paused('m1'), paused('m3')],
    }));
    await expect(waitForAcknowledgements(src, options)).resolves.toEqual(['m1', 'm3']);
  });

  it('times out with OPERATION_TIMED_OUT (retriable), naming the group and the missing members', async () => {
    const { src } = source(() => ({
      members: ['m1', 'm2'],
      acks: [paused('m1'), { ...paused('m2'), state: 'resumed' }],
    }));
    const error: unknown = await waitForAcknowledgements(src, options).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PauseNotAcknowledged);
    expect(error).toBeInstanceOf(ProjectionError);
    expect(error).toMatchObject({
      code: 'OPERATION_TIMED_OUT',
      retriable: true,
      context: { group: 'sc-proj-user-cards', missing: ['m2'] },
    });
    expect((error as Error).message).toMatch(
      /^the live consumer group sc-proj-user-cards did not acknowledge the pause within 1000 ms \(1 of 2 members missing: m2\); the pause is released and nothing was swapped/,
    );
  });

  it('looks once with a timeout of 0 (the check before the swap)', async () => {
    const { src, sleeps } = source(() => ({ members: ['m1'], acks: [] }));
    await expect(waitForAcknowledgements(src, { ...options, timeoutMs: 0 })).rejects.toThrow(PauseNotAcknowledged);
    expect(sleeps).toEqual([]);
  });
});
