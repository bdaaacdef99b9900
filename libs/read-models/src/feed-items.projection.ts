import type { EventOf, POST_CONTENT_TYPES, PostEvent, PromotionEvent } from '@sc/event-schemas';
import { givenFields, missingEntity } from '@sc/projection-core';
import type { DocumentBody, ProjectionDefinition, Rejection } from '@sc/projection-core';

/** Events the feed builder reads: posts and promotions. */
export type FeedEvent = PostEvent | PromotionEvent;

/** One item of the unified feed: a post or a promotion. */
export interface FeedItem {
  readonly item_type: 'post' | 'promotion';
  readonly source_id: string;
  readonly author_id: string;
  readonly community_id: string | null;
  readonly content_type: (typeof POST_CONTENT_TYPES)[number] | 'promotion';
  readonly is_global: boolean;
  readonly is_pinned: boolean;
  readonly status: 'draft' | 'published' | 'hidden' | 'deleted';
  readonly published_at: Date | null;
  readonly view_count: number | null;
  readonly like_count: number | null;
  readonly comment_count: number | null;
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly entity_version: number;
  readonly last_event_id: string;
}

type Body = DocumentBody<FeedItem>;

const NEW_ITEM = {
  is_pinned: false,
  status: 'draft',
  published_at: null,
  view_count: 0,
  like_count: 0,
  comment_count: 0,
} as const;

function postCreated(event: EventOf<'post.created'>): Body {
  const p = event.payload;
  return {
    ...NEW_ITEM,
    item_type: 'post',
    source_id: event.entity_id,
    author_id: p.author_id,
    community_id: p.community_id,
    content_type: p.content_type,
    is_global: false,
    created_at: p.created_at,
  };
}

function promotionCreated(event: EventOf<'promotion.created'>): Body {
  const p = event.payload;
  return {
    ...NEW_ITEM,
    item_type: 'promotion',
    source_id: event.entity_id,
    author_id: p.author_id,
    community_id: p.community_id,
    content_type: 'promotion',
    is_global: p.is_global,
    created_at: p.created_at,
  };
}

/** The contract's table for `feed_items`, one row per event type. */
export function evolveFeedItem(item: FeedItem | null, event: FeedEvent): Body | Rejection {
  if (event.event_type === 'post.created') return postCreated(event);
  if (event.event_type === 'promotion.created') return promotionCreated(event);
  if (item === null) return missingEntity(event);
  switch (event.event_type) {
    case 'post.published':
      return { ...item, status: 'published', published_at: event.payload.published_at };
    case 'post.global_approved':
      return { ...item, is_global: true };
    case 'post.pinned':
      return { ...item, is_pinned: true };
    case 'post.unpinned':
      return { ...item, is_pinned: false };
    case 'post.hidden':
      return { ...item, status: 'hidden' };
    case 'post.deleted':
      return { ...item, status: 'deleted' };
    case 'post.stats_changed':
      return { ...item, ...givenFields(event.payload, ['view_count', 'like_count', 'comment_count']) };
    case 'promotion.activated':
      return { ...item, status: 'published', published_at: item.published_at ?? event.payload.activated_at };
    case 'promotion.ended':
      return { ...item, status: 'hidden' };
  }
}

/** The `feed_items` read model: keyed by (source_id, item_type), with the design's feed indexes. */
export const feedItemsProjection: ProjectionDefinition<FeedEvent, FeedItem> = {
  name: 'feed_items',
  collection: 'feed_items',
  keyFields: ['source_id', 'item_type'],
  keyOf: (event) => ({ source_id: event.entity_id, item_type: event.entity_type }),
  indexes: [
    { name: 'source_id_item_type_unique', keys: { source_id: 1, item_type: 1 }, unique: true },
    { name: 'global_feed', keys: { is_global: 1, status: 1, published_at: -1 } },
    { name: 'community_feed', keys: { community_id: 1, status: 1, published_at: -1 } },
    { name: 'author_feed', keys: { author_id: 1, status: 1, published_at: -1 } },
    { name: 'community_pinned', keys: { community_id: 1, is_pinned: 1 } },
  ],
  evolve: evolveFeedItem,
};
