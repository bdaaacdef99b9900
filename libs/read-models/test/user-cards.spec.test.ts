import { domainEvent, projectionSpec } from '@sc/testing';
import { userCardsProjection } from '../src';
import type { UserCard } from '../src';

const at = (version: number) => new Date(Date.parse('2026-11-26T10:00:00.000Z') + version * 60_000);
const created = domainEvent('user.created', 'usr_1', 1, {
  display_name: 'Ada',
  avatar_url: 'https://cdn.example/ada.png',
  role: 'creator',
  created_at: '2026-11-20T09:00:00.000Z',
  // Unknown fields, even operator-like ones, never reach the document.
  ...({ $set: { role: 'admin' }, 'a.b': 1 } as object),
});
const card = (version: number, changes: Partial<UserCard> = {}): UserCard => ({
  user_id: 'usr_1',
  display_name: 'Ada',
  avatar_url: 'https://cdn.example/ada.png',
  bio: null,
  role: 'creator',
  status: 'pending',
  verified_at: null,
  follower_count: 0,
  following_count: 0,
  total_orders: 0,
  communities_joined: 0,
  created_at: new Date('2026-11-20T09:00:00.000Z'),
  updated_at: at(version),
  entity_version: version,
  last_event_id: `evt_usr_1_${version}`,
  ...changes,
});
const spec = projectionSpec(userCardsProjection);

describe('user_cards projection', () => {
  it('user.created: a pending card with every counter at 0', () => {
    spec({ given: [], when: created, then: card(1) });
  });

  it('user.verified: active, verified_at set', () => {
    spec({
      given: [created],
      when: domainEvent('user.verified', 'usr_1', 2, { verified_at: '2026-11-21T00:00:00.000Z' }),
      then: card(2, { status: 'active', verified_at: new Date('2026-11-21T00:00:00.000Z') }),
    });
  });

  it('user.verified: a suspended user stays suspended, verified_at still set', () => {
    const suspended = domainEvent('user.suspended', 'usr_1', 2, {
      suspended_at: '2026-11-21T00:00:00.000Z',
      reason: 'spam',
    });
    spec({
      given: [created, suspended],
      when: domainEvent('user.verified', 'usr_1', 3, { verified_at: '2026-11-22T00:00:00.000Z' }),
      then: card(3, { status: 'suspended', verified_at: new Date('2026-11-22T00:00:00.000Z') }),
    });
  });

  it('user.profile_updated: sets the fields given, null clears, absent ones stay', () => {
    spec({
      given: [created],
      when: domainEvent('user.profile_updated', 'usr_1', 2, { bio: 'Maths', avatar_url: null }),
      then: card(2, { bio: 'Maths', avatar_url: null }),
    });
  });

  it('user.role_changed: role set', () => {
    spec({
      given: [created],
      when: domainEvent('user.role_changed', 'usr_1', 2, { role: 'moderator' }),
      then: card(2, { role: 'moderator' }),
    });
  });

  it('user.suspended then user.reactivated: suspended, then active', () => {
    const suspended = domainEvent('user.suspended', 'usr_1', 2, { suspended_at: '2026-11-21T00:00:00.000Z' });
    spec({ given: [created], when: suspended, then: card(2, { status: 'suspended' }) });
    spec({
      given: [created, suspended],
      when: domainEvent('user.reactivated', 'usr_1', 3, { reactivated_at: '2026-11-22T00:00:00.000Z' }),
      then: card(3, { status: 'active' }),
    });
  });

  it('user.stats_changed: sets the absolute counters given', () => {
    const first = domainEvent('user.stats_changed', 'usr_1', 2, { follower_count: 10, following_count: 3 });
    spec({
      given: [created, first],
      when: domainEvent('user.stats_changed', 'usr_1', 3, { follower_count: 12, total_orders: 4 }),
      then: card(3, { follower_count: 12, following_count: 3, total_orders: 4 }),
    });
  });

  it('any event before user.created is rejected as missing_entity', () => {
    spec({
      given: [],
      when: domainEvent('user.verified', 'usr_1', 2, { verified_at: '2026-11-21T00:00:00.000Z' }),
      then: { rejected: 'missing_entity' },
    });
  });

  it('takes only user events, and then only a user card or a rejection reason of the contract (checked by typecheck)', () => {
    const published = domainEvent('post.published', 'pst_1', 2, { published_at: '2026-11-21T00:00:00.000Z' });
    // What the compiler refuses would fail at run time too.
    // @ts-expect-error a post event never reaches the user cards
    expect(() => spec({ given: [created], when: published, then: card(2) })).toThrow();
    // @ts-expect-error not a rejection reason of the contract
    expect(() => spec({ given: [], when: created, then: { rejected: 'no_reason' } })).toThrow();
  });

  it('a newer user.created for an existing card is applied by the version rule', () => {
    const stats = domainEvent('user.stats_changed', 'usr_1', 2, { follower_count: 10 });
    const recreated = domainEvent('user.created', 'usr_1', 3, {
      display_name: 'Ada B.',
      role: 'member',
      created_at: '2026-11-23T00:00:00.000Z',
    });
    spec({
      given: [created, stats],
      when: recreated,
      then: card(3, {
        display_name: 'Ada B.',
        avatar_url: null,
        role: 'member',
        created_at: new Date('2026-11-23T00:00:00.000Z'),
      }),
    });
  });
});
