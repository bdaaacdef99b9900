import { DocumentCache } from '../src/document-cache';
import { pauseInForce, unacknowledgedMembers } from '../src';
import type { PauseControlDocument } from '../src';

const at = (iso: string) => new Date(iso);
const request = (leaseUntil: string): PauseControlDocument => ({
  _id: 'user_cards',
  request: 'r1',
  paused_by: 'rebuild of user_cards by h:1',
  requested_at: at('2026-11-28T08:00:00Z'),
  lease_until: at(leaseUntil),
});

describe('pauseInForce', () => {
  it('is the request while its lease runs, and nothing once it is over (a rebuild that died frees the workers)', () => {
    const doc = request('2026-11-28T08:00:20Z');
    expect(pauseInForce(doc, at('2026-11-28T08:00:19.999Z'))).toEqual({
      id: 'r1',
      by: 'rebuild of user_cards by h:1',
      leaseUntil: at('2026-11-28T08:00:20Z'),
    });
    expect(pauseInForce(doc, at('2026-11-28T08:00:20Z'))).toBeUndefined();
    expect(pauseInForce(doc, at('2026-11-28T09:00:00Z'))).toBeUndefined();
  });

  it('is nothing without a document, or with a lease that is not a date', () => {
    expect(pauseInForce(null, at('2026-11-28T08:00:00Z'))).toBeUndefined();
    expect(pauseInForce(undefined, at('2026-11-28T08:00:00Z'))).toBeUndefined();
    const broken = { ...request('2026-11-28T08:00:20Z'), lease_until: '2099-01-01' as unknown as Date };
    expect(pauseInForce(broken, at('2026-11-28T08:00:00Z'))).toBeUndefined();
  });
});

describe('unacknowledgedMembers', () => {
  it('names the members without a paused acknowledgement of this very request', () => {
    const acks = [
      { member: 'm1', request: 'r1', state: 'paused' as const },
      { member: 'm2', request: 'r0', state: 'paused' as const }, // an earlier request's
      { member: 'm3', request: 'r1', state: 'resumed' as const }, // resumed after a lapse
      { member: 'gone', request: 'r1', state: 'paused' as const }, // left the group: not waited for
    ];
    expect(unacknowledgedMembers(['m1', 'm2', 'm3', 'm4'], acks, 'r1')).toEqual(['m2', 'm3', 'm4']);
    expect(unacknowledgedMembers(['m1'], acks, 'r1')).toEqual([]);
    expect(unacknowledgedMembers([], [], 'r1')).toEqual([]); // no live worker: nothing to wait for
  });
});

describe('DocumentCache.clear', () => {
  it('forgets every document', () => {
    const cache = new DocumentCache<number>(10);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.get('a')).toBeUndefined();
  });
});
