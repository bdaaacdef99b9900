import type { EventOf, ORDER_STATUSES, OrderEvent } from '@sc/event-schemas';
import { givenFields, missingEntity } from '@sc/projection-core';
import type { DocumentBody, ProjectionDefinition, Rejection } from '@sc/projection-core';

/** An item snapshot embedded in an order summary. */
export interface OrderItemSummary {
  readonly item_id: string;
  readonly product_id: string;
  readonly supplier_id: string;
  readonly title: string;
  readonly quantity: number;
  readonly unit_price_cents: number;
  readonly status: 'pending' | 'shipped' | 'delivered';
  readonly shipped_at: Date | null;
  readonly delivered_at: Date | null;
}

/** An order as the customer's history and the suppliers' queues show it. */
export interface OrderSummary {
  readonly order_id: string;
  readonly order_number: string;
  readonly customer_id: string;
  readonly item_count: number;
  readonly total_cents: number;
  readonly currency: string;
  readonly status: (typeof ORDER_STATUSES)[number];
  readonly payment_status: 'pending' | 'paid' | 'failed';
  readonly items: readonly OrderItemSummary[];
  readonly promotion_id: string | null;
  readonly community_id: string | null;
  readonly confirmed_at: Date | null;
  readonly shipped_at: Date | null;
  readonly delivered_at: Date | null;
  readonly cancelled_at: Date | null;
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly entity_version: number;
  readonly last_event_id: string;
}

type Body = DocumentBody<OrderSummary>;

function created(event: EventOf<'order.created'>): Body {
  const p = event.payload;
  return {
    order_id: event.entity_id,
    order_number: p.order_number,
    customer_id: p.customer_id,
    item_count: p.item_count,
    total_cents: p.total_cents,
    currency: p.currency,
    status: 'pending',
    payment_status: 'pending',
    items: [],
    promotion_id: null,
    community_id: null,
    confirmed_at: null,
    shipped_at: null,
    delivered_at: null,
    cancelled_at: null,
    created_at: p.created_at,
  };
}

function confirmed(order: OrderSummary, event: EventOf<'order.confirmed'>): Body {
  const items = event.payload.items.map((i) => ({
    ...i,
    status: 'pending' as const,
    shipped_at: null,
    delivered_at: null,
  }));
  return {
    ...order,
    confirmed_at: event.payload.confirmed_at,
    items,
    item_count: items.reduce((sum, i) => sum + i.quantity, 0),
    total_cents: items.reduce((sum, i) => sum + i.quantity * i.unit_price_cents, 0),
  };
}

function latest(dates: readonly (Date | null)[]): Date | null {
  let max: Date | null = null;
  for (const d of dates) if (d !== null && (max === null || d.getTime() > max.getTime())) max = d;
  return max;
}

function updateItem(
  order: OrderSummary,
  event: EventOf<'order.item_shipped'> | EventOf<'order.item_delivered'>,
  change: (item: OrderItemSummary) => OrderItemSummary,
): OrderItemSummary[] | Rejection {
  const itemId = event.payload.item_id;
  if (!order.items.some((i) => i.item_id === itemId)) {
    return {
      rejection: 'unknown_item',
      detail: `${event.event_type}: item_id ${JSON.stringify(itemId)} is not among the order's ${order.items.length} items`,
    };
  }
  return order.items.map((i) => (i.item_id === itemId ? change(i) : i));
}

function itemShipped(order: OrderSummary, event: EventOf<'order.item_shipped'>): Body | Rejection {
  const items = updateItem(order, event, (i) => ({ ...i, status: 'shipped', shipped_at: event.payload.shipped_at }));
  if (!Array.isArray(items)) return items;
  const allShipped = items.every((i) => i.status === 'shipped' || i.status === 'delivered');
  return { ...order, items, shipped_at: allShipped ? latest(items.map((i) => i.shipped_at)) : order.shipped_at };
}

function itemDelivered(order: OrderSummary, event: EventOf<'order.item_delivered'>): Body | Rejection {
  const items = updateItem(order, event, (i) => ({
    ...i,
    status: 'delivered',
    delivered_at: event.payload.delivered_at,
  }));
  if (!Array.isArray(items)) return items;
  const allDelivered = items.every((i) => i.status === 'delivered');
  return {
    ...order,
    items,
    delivered_at: allDelivered ? latest(items.map((i) => i.delivered_at)) : order.delivered_at,
  };
}

/** The contract's table for `order_summaries`, one row per event type. */
export function evolveOrderSummary(order: OrderSummary | null, event: OrderEvent): Body | Rejection {
  if (event.event_type === 'order.created') return created(event);
  if (order === null) return missingEntity(event);
  switch (event.event_type) {
    case 'order.payment_succeeded':
      return { ...order, payment_status: 'paid' };
    case 'order.payment_failed':
      return { ...order, payment_status: 'failed' };
    case 'order.confirmed':
      return confirmed(order, event);
    case 'order.status_changed':
      return { ...order, status: event.payload.status };
    case 'order.item_shipped':
      return itemShipped(order, event);
    case 'order.item_delivered':
      return itemDelivered(order, event);
    case 'order.cancelled':
      return { ...order, status: 'cancelled', cancelled_at: event.payload.cancelled_at };
    case 'order.attribution_recorded':
      return { ...order, ...givenFields(event.payload, ['promotion_id', 'community_id']) };
  }
}

/** The `order_summaries` read model: keyed by order_id, with history and supplier-queue indexes. */
export const orderSummariesProjection: ProjectionDefinition<OrderEvent, OrderSummary> = {
  name: 'order_summaries',
  collection: 'order_summaries',
  keyFields: ['order_id'],
  keyOf: (event) => ({ order_id: event.entity_id }),
  indexes: [
    { name: 'order_id_unique', keys: { order_id: 1 }, unique: true },
    { name: 'order_number', keys: { order_number: 1 } },
    { name: 'customer_history', keys: { customer_id: 1, created_at: -1 } },
    { name: 'status_created_at', keys: { status: 1, created_at: -1 } },
    // The design's supplier queue (items.supplier_id, items.status) plus the order's status: the queue is
    // this supplier's pending items in orders that can still ship (findSupplierQueue in @sc/mongo-store;
    // `explain` on MongoDB and what FerretDB v1 does are described there). Without `status`, every cancelled
    // order keeps its pending items in the index range forever. A new name: a database that has the former
    // `supplier_queue` keeps it unused (drop it with db.order_summaries.dropIndex('supplier_queue')).
    { name: 'supplier_queue_shippable', keys: { 'items.supplier_id': 1, 'items.status': 1, status: 1 } },
  ],
  evolve: evolveOrderSummary,
};
