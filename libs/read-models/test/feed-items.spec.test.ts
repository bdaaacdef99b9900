import { domainEvent, projectionSpec } from '@sc/testing';
import { feedItemsProjection } from '../src';
import type { FeedItem } from '../src';

const at = (version: number) => new Date(Date.parse('2026-11-26T10:00:00.000Z') + version * 60_000);
const spec = projectionSpec(feedItemsProjection);

const postCreated = domainEvent('post.created', 'pst_1', 1, {
  author_id: 'usr_1',
  community_id: 'com_1',
  content_type: 'image',
  created_at: '2026-11-20T09:00:00.000Z',
});
const post = (version: number, changes: Partial<FeedItem> = {}): FeedItem => ({
  item_type: 'post',
  source_id: 'pst_1',
  author_id: 'usr_1',
  community_id: 'com_1',
  content_type: 'image',
  is_global: false,
  is_pinned: false,
  status: 'draft',
  published_at: null,
  view_count: 0,
  like_count: 0,
  comment_count: 0,
  created_at: new Date('2026-11-20T09:00:00.000Z'),
  updated_at: at(version),
  entity_version: version,
  last_event_id: `evt_pst_1_${version}`,
  ...changes,
});
const promotionCreated = domainEvent('promotion.created', 'prm_1', 1, {
  author_id: 'usr_2',
  community_id: null,
  is_global: true,
  created_at: '2026-11-20T09:00:00.000Z',
});
const promotion = (version: number, changes: Partial<FeedItem> = {}): FeedItem => ({
  ...post(version),
  item_type: 'promotion',
  source_id: 'prm_1',
  author_id: 'usr_2',
  community_id: null,
  content_type: 'promotion',
  is_global: true,
  last_event_id: `evt_prm_1_${version}`,
  ...changes,
});
const published = domainEvent('post.published', 'pst_1', 2, { published_at: '2026-11-21T00:00:00.000Z' });

describe('feed_items projection', () => {
  it('post.created: a draft post, not global, not pinned, counters 0, unpublished', () => {
    spec({ given: [], when: postCreated, then: post(1) });
  });
  it('post.published: published with its time', () => {
    spec({
      given: [postCreated],
      when: published,
      then: post(2, { status: 'published', published_at: new Date('2026-11-21T00:00:00.000Z') }),
    });
  });
  it('post.global_approved: is_global', () => {
    spec({
      given: [postCreated],
      when: domainEvent('post.global_approved', 'pst_1', 2, { approved_at: '2026-11-21T00:00:00.000Z' }),
      then: post(2, { is_global: true }),
    });
  });
  it('post.pinned and post.unpinned: is_pinned on and off', () => {
    const pinned = domainEvent('post.pinned', 'pst_1', 2, { pinned_at: '2026-11-21T00:00:00.000Z' });
    spec({ given: [postCreated], when: pinned, then: post(2, { is_pinned: true }) });
    spec({
      given: [postCreated, pinned],
      when: domainEvent('post.unpinned', 'pst_1', 3, { unpinned_at: '2026-11-22T00:00:00.000Z' }),
      then: post(3),
    });
  });
  it('post.hidden and post.deleted: status', () => {
    spec({
      given: [postCreated, published],
      when: domainEvent('post.hidden', 'pst_1', 3, { reason: 'reported' }),
      then: post(3, { status: 'hidden', published_at: new Date('2026-11-21T00:00:00.000Z') }),
    });
    spec({
      given: [postCreated],
      when: domainEvent('post.deleted', 'pst_1', 2, { deleted_at: '2026-11-21T00:00:00.000Z' }),
      then: post(2, { status: 'deleted' }),
    });
  });
  it('post.stats_changed: absolute counters given', () => {
    spec({
      given: [postCreated],
      when: domainEvent('post.stats_changed', 'pst_1', 2, { view_count: 100, like_count: 7 }),
      then: post(2, { view_count: 100, like_count: 7 }),
    });
  });
  it('promotion.created: a draft promotion with content_type promotion and its is_global', () => {
    spec({ given: [], when: promotionCreated, then: promotion(1) });
  });
  it('promotion.activated: published, published_at only the first time', () => {
    const activated = domainEvent('promotion.activated', 'prm_1', 2, { activated_at: '2026-11-21T00:00:00.000Z' });
    const ended = domainEvent('promotion.ended', 'prm_1', 3, { ended_at: '2026-11-22T00:00:00.000Z' });
    const first = new Date('2026-11-21T00:00:00.000Z');
    spec({
      given: [promotionCreated],
      when: activated,
      then: promotion(2, { status: 'published', published_at: first }),
    });
    spec({
      given: [promotionCreated, activated],
      when: ended,
      then: promotion(3, { status: 'hidden', published_at: first }),
    });
    spec({
      given: [promotionCreated, activated, ended],
      when: domainEvent('promotion.activated', 'prm_1', 4, { activated_at: '2026-11-23T00:00:00.000Z' }),
      then: promotion(4, { status: 'published', published_at: first }),
    });
  });
  it('a post event before post.created is rejected as missing_entity', () => {
    spec({ given: [], when: published, then: { rejected: 'missing_entity' } });
  });
  it('a post and a promotion with the same id are two feed items', () => {
    const samePromotion = domainEvent('promotion.created', 'pst_1', 1, {
      author_id: 'usr_2',
      community_id: null,
      is_global: false,
      created_at: '2026-11-20T09:00:00.000Z',
    });
    expect(feedItemsProjection.keyOf(samePromotion)).toEqual({ source_id: 'pst_1', item_type: 'promotion' });
    expect(feedItemsProjection.keyOf(postCreated)).toEqual({ source_id: 'pst_1', item_type: 'post' });
  });
});
