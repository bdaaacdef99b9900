import type { EventOf, USER_ROLES, UserEvent } from '@sc/event-schemas';
import { givenFields, missingEntity } from '@sc/projection-core';
import type { DocumentBody, ProjectionDefinition, Rejection } from '@sc/projection-core';

/** A user card: what a profile card renders, in one read. */
export interface UserCard {
  readonly user_id: string;
  readonly display_name: string | null;
  readonly avatar_url: string | null;
  readonly bio: string | null;
  readonly role: (typeof USER_ROLES)[number];
  readonly status: 'pending' | 'active' | 'suspended';
  readonly verified_at: Date | null;
  readonly follower_count: number | null;
  readonly following_count: number | null;
  readonly total_orders: number | null;
  readonly communities_joined: number | null;
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly entity_version: number;
  readonly last_event_id: string;
}

type Body = DocumentBody<UserCard>;

function created(event: EventOf<'user.created'>): Body {
  const p = event.payload;
  return {
    user_id: event.entity_id,
    display_name: p.display_name,
    avatar_url: p.avatar_url ?? null,
    bio: p.bio ?? null,
    role: p.role,
    status: 'pending',
    verified_at: null,
    follower_count: 0,
    following_count: 0,
    total_orders: 0,
    communities_joined: 0,
    created_at: p.created_at,
  };
}

/** The contract's table for `user_cards`, one row per event type. */
export function evolveUserCard(card: UserCard | null, event: UserEvent): Body | Rejection {
  if (event.event_type === 'user.created') return created(event);
  if (card === null) return missingEntity(event);
  switch (event.event_type) {
    case 'user.verified':
      return {
        ...card,
        status: card.status === 'suspended' ? 'suspended' : 'active',
        verified_at: event.payload.verified_at,
      };
    case 'user.profile_updated':
      return { ...card, ...givenFields(event.payload, ['display_name', 'avatar_url', 'bio']) };
    case 'user.role_changed':
      return { ...card, role: event.payload.role };
    case 'user.suspended':
      return { ...card, status: 'suspended' };
    case 'user.reactivated':
      return { ...card, status: 'active' };
    case 'user.stats_changed':
      return {
        ...card,
        ...givenFields(event.payload, ['follower_count', 'following_count', 'total_orders', 'communities_joined']),
      };
  }
}

/** The `user_cards` read model: collection, key, the design's indexes and its evolve. */
export const userCardsProjection: ProjectionDefinition<UserEvent, UserCard> = {
  name: 'user_cards',
  collection: 'user_cards',
  keyFields: ['user_id'],
  keyOf: (event) => ({ user_id: event.entity_id }),
  indexes: [
    { name: 'user_id_unique', keys: { user_id: 1 }, unique: true },
    { name: 'status_created_at', keys: { status: 1, created_at: -1 } },
    { name: 'role', keys: { role: 1 } },
    { name: 'follower_count_desc', keys: { follower_count: -1 } },
  ],
  evolve: evolveUserCard,
};
