import { z } from 'zod';
import { ClearableTextSchema, CountSchema, IdSchema, TimestampSchema } from './envelope';

const ClearableCountSchema = CountSchema.nullable().optional();
const ClearableIdSchema = IdSchema.nullable().optional();

export const USER_ROLES = ['member', 'creator', 'supplier', 'moderator', 'admin'] as const;
export const POST_CONTENT_TYPES = ['text', 'image', 'video', 'link', 'poll'] as const;
export const ORDER_STATUSES = [
  'pending',
  'confirmed',
  'processing',
  'shipped',
  'delivered',
  'cancelled',
  'refunded',
] as const;

export const UserRoleSchema = z.enum(USER_ROLES);

// ---- user

export const UserCreatedPayloadSchema = z.object({
  display_name: z.string().min(1),
  avatar_url: ClearableTextSchema,
  bio: ClearableTextSchema,
  role: UserRoleSchema,
  created_at: TimestampSchema,
});
export const UserVerifiedPayloadSchema = z.object({ verified_at: TimestampSchema });
export const UserProfileUpdatedPayloadSchema = z.object({
  display_name: ClearableTextSchema,
  avatar_url: ClearableTextSchema,
  bio: ClearableTextSchema,
});
export const UserRoleChangedPayloadSchema = z.object({ role: UserRoleSchema });
export const UserSuspendedPayloadSchema = z.object({ reason: ClearableTextSchema, suspended_at: TimestampSchema });
export const UserReactivatedPayloadSchema = z.object({ reactivated_at: TimestampSchema });
export const UserStatsChangedPayloadSchema = z.object({
  follower_count: ClearableCountSchema,
  following_count: ClearableCountSchema,
  total_orders: ClearableCountSchema,
  communities_joined: ClearableCountSchema,
});

// ---- post

export const PostCreatedPayloadSchema = z.object({
  author_id: IdSchema,
  community_id: IdSchema.nullable(),
  content_type: z.enum(POST_CONTENT_TYPES),
  created_at: TimestampSchema,
});
export const PostPublishedPayloadSchema = z.object({ published_at: TimestampSchema });
export const PostGlobalApprovedPayloadSchema = z.object({ approved_at: TimestampSchema });
export const PostPinnedPayloadSchema = z.object({ pinned_at: TimestampSchema });
export const PostUnpinnedPayloadSchema = z.object({ unpinned_at: TimestampSchema });
export const PostHiddenPayloadSchema = z.object({ reason: ClearableTextSchema });
export const PostDeletedPayloadSchema = z.object({ deleted_at: TimestampSchema });
export const PostStatsChangedPayloadSchema = z.object({
  view_count: ClearableCountSchema,
  like_count: ClearableCountSchema,
  comment_count: ClearableCountSchema,
});

// ---- promotion

export const PromotionCreatedPayloadSchema = z.object({
  author_id: IdSchema,
  community_id: IdSchema.nullable(),
  is_global: z.boolean(),
  created_at: TimestampSchema,
});
export const PromotionActivatedPayloadSchema = z.object({ activated_at: TimestampSchema });
export const PromotionEndedPayloadSchema = z.object({ ended_at: TimestampSchema });

// ---- order

export const OrderItemSnapshotSchema = z.object({
  item_id: IdSchema,
  product_id: IdSchema,
  supplier_id: IdSchema,
  title: z.string(),
  quantity: z.number().int().min(1),
  unit_price_cents: CountSchema,
});

export const OrderCreatedPayloadSchema = z.object({
  order_number: z.string().min(1),
  customer_id: IdSchema,
  currency: z.string().regex(/^[A-Z]{3}$/, { message: 'must be an ISO-4217 code such as EUR' }),
  total_cents: CountSchema,
  item_count: CountSchema,
  created_at: TimestampSchema,
});
export const OrderPaymentSucceededPayloadSchema = z.object({ paid_at: TimestampSchema });
export const OrderPaymentFailedPayloadSchema = z.object({ reason: ClearableTextSchema, failed_at: TimestampSchema });
export const OrderConfirmedPayloadSchema = z.object({
  confirmed_at: TimestampSchema,
  items: z
    .array(OrderItemSnapshotSchema)
    .refine((items) => new Set(items.map((i) => i.item_id)).size === items.length, {
      message: 'item_id must be unique within the order',
    }),
});
export const OrderStatusChangedPayloadSchema = z.object({ status: z.enum(ORDER_STATUSES) });
export const OrderItemShippedPayloadSchema = z.object({ item_id: IdSchema, shipped_at: TimestampSchema });
export const OrderItemDeliveredPayloadSchema = z.object({ item_id: IdSchema, delivered_at: TimestampSchema });
export const OrderCancelledPayloadSchema = z.object({ reason: ClearableTextSchema, cancelled_at: TimestampSchema });
export const OrderAttributionRecordedPayloadSchema = z.object({
  promotion_id: ClearableIdSchema,
  community_id: ClearableIdSchema,
});

/** The payload schema of every event type of the contract. */
export const PAYLOAD_SCHEMAS = {
  'user.created': UserCreatedPayloadSchema,
  'user.verified': UserVerifiedPayloadSchema,
  'user.profile_updated': UserProfileUpdatedPayloadSchema,
  'user.role_changed': UserRoleChangedPayloadSchema,
  'user.suspended': UserSuspendedPayloadSchema,
  'user.reactivated': UserReactivatedPayloadSchema,
  'user.stats_changed': UserStatsChangedPayloadSchema,
  'post.created': PostCreatedPayloadSchema,
  'post.published': PostPublishedPayloadSchema,
  'post.global_approved': PostGlobalApprovedPayloadSchema,
  'post.pinned': PostPinnedPayloadSchema,
  'post.unpinned': PostUnpinnedPayloadSchema,
  'post.hidden': PostHiddenPayloadSchema,
  'post.deleted': PostDeletedPayloadSchema,
  'post.stats_changed': PostStatsChangedPayloadSchema,
  'promotion.created': PromotionCreatedPayloadSchema,
  'promotion.activated': PromotionActivatedPayloadSchema,
  'promotion.ended': PromotionEndedPayloadSchema,
  'order.created': OrderCreatedPayloadSchema,
  'order.payment_succeeded': OrderPaymentSucceededPayloadSchema,
  'order.payment_failed': OrderPaymentFailedPayloadSchema,
  'order.confirmed': OrderConfirmedPayloadSchema,
  'order.status_changed': OrderStatusChangedPayloadSchema,
  'order.item_shipped': OrderItemShippedPayloadSchema,
  'order.item_delivered': OrderItemDeliveredPayloadSchema,
  'order.cancelled': OrderCancelledPayloadSchema,
  'order.attribution_recorded': OrderAttributionRecordedPayloadSchema,
} as const;

export type EventType = keyof typeof PAYLOAD_SCHEMAS;
export const EVENT_TYPES = Object.keys(PAYLOAD_SCHEMAS) as EventType[];
export type PayloadOf<T extends EventType> = z.output<(typeof PAYLOAD_SCHEMAS)[T]>;
/** The payload as a producer writes it (timestamps as strings). */
export type PayloadInputOf<T extends EventType> = z.input<(typeof PAYLOAD_SCHEMAS)[T]>;
