import { domainEvent, projectionSpec } from '@sc/testing';
import { orderSummariesProjection } from '../src';
import type { OrderItemSummary, OrderSummary } from '../src';

const at = (version: number) => new Date(Date.parse('2026-11-26T10:00:00.000Z') + version * 60_000);
const spec = projectionSpec(orderSummariesProjection);
const d = (day: number) => new Date(Date.UTC(2026, 10, day));

const created = domainEvent('order.created', 'ord_1', 1, {
  order_number: 'SC-1',
  customer_id: 'usr_1',
  currency: 'EUR',
  total_cents: 1000,
  item_count: 1,
  created_at: '2026-11-20T00:00:00.000Z',
});
const order = (version: number, changes: Partial<OrderSummary> = {}): OrderSummary => ({
  order_id: 'ord_1',
  order_number: 'SC-1',
  customer_id: 'usr_1',
  item_count: 1,
  total_cents: 1000,
  currency: 'EUR',
  status: 'pending',
  payment_status: 'pending',
  items: [],
  promotion_id: null,
  community_id: null,
  confirmed_at: null,
  shipped_at: null,
  delivered_at: null,
  cancelled_at: null,
  created_at: d(20),
  updated_at: at(version),
  entity_version: version,
  last_event_id: `evt_ord_1_${version}`,
  ...changes,
});
const snapshot = (id: string, supplier: string, quantity: number, price: number) => ({
  item_id: id,
  product_id: `prd_${id}`,
  supplier_id: supplier,
  title: `T ${id}`,
  quantity,
  unit_price_cents: price,
});
const confirmed = domainEvent('order.confirmed', 'ord_1', 2, {
  confirmed_at: d(21).toISOString(),
  items: [snapshot('a', 'sup_1', 2, 300), snapshot('b', 'sup_2', 1, 500)],
});
const item = (
  id: string,
  supplier: string,
  quantity: number,
  price: number,
  changes: Partial<OrderItemSummary> = {},
): OrderItemSummary => ({
  ...snapshot(id, supplier, quantity, price),
  status: 'pending',
  shipped_at: null,
  delivered_at: null,
  ...changes,
});
const confirmedOrder = (version: number, changes: Partial<OrderSummary> = {}) =>
  order(version, {
    confirmed_at: d(21),
    items: [item('a', 'sup_1', 2, 300), item('b', 'sup_2', 1, 500)],
    item_count: 3,
    total_cents: 1100,
    ...changes,
  });
const shipA = domainEvent('order.item_shipped', 'ord_1', 3, { item_id: 'a', shipped_at: d(22).toISOString() });
const shipB = domainEvent('order.item_shipped', 'ord_1', 4, { item_id: 'b', shipped_at: d(23).toISOString() });
const deliverB = domainEvent('order.item_delivered', 'ord_1', 5, { item_id: 'b', delivered_at: d(24).toISOString() });
const deliverA = domainEvent('order.item_delivered', 'ord_1', 6, { item_id: 'a', delivered_at: d(25).toISOString() });

describe('order_summaries projection', () => {
  it('order.created: pending, payment pending, no items', () => {
    spec({ given: [], when: created, then: order(1) });
  });
  it('order.payment_succeeded / order.payment_failed: payment_status', () => {
    spec({
      given: [created],
      when: domainEvent('order.payment_succeeded', 'ord_1', 2, { paid_at: d(21).toISOString() }),
      then: order(2, { payment_status: 'paid' }),
    });
    spec({
      given: [created],
      when: domainEvent('order.payment_failed', 'ord_1', 2, { failed_at: d(21).toISOString() }),
      then: order(2, { payment_status: 'failed' }),
    });
  });
  it('order.confirmed: item snapshots pending, item_count and total_cents recomputed', () => {
    spec({ given: [created], when: confirmed, then: confirmedOrder(2) });
  });
  it('order.status_changed: status', () => {
    spec({
      given: [created],
      when: domainEvent('order.status_changed', 'ord_1', 2, { status: 'processing' }),
      then: order(2, { status: 'processing' }),
    });
  });
  it('order.item_shipped one by one: the order shipped_at is the latest item shipped_at once all are shipped', () => {
    spec({
      given: [created, confirmed],
      when: shipA,
      then: confirmedOrder(3, {
        items: [item('a', 'sup_1', 2, 300, { status: 'shipped', shipped_at: d(22) }), item('b', 'sup_2', 1, 500)],
      }),
    });
    spec({
      given: [created, confirmed, shipA],
      when: shipB,
      then: confirmedOrder(4, {
        shipped_at: d(23),
        items: [
          item('a', 'sup_1', 2, 300, { status: 'shipped', shipped_at: d(22) }),
          item('b', 'sup_2', 1, 500, { status: 'shipped', shipped_at: d(23) }),
        ],
      }),
    });
  });
  it('order.item_delivered one by one: the order delivered_at is the latest item delivered_at once all are delivered', () => {
    const bothShipped = { shipped_at: d(23) };
    spec({
      given: [created, confirmed, shipA, shipB],
      when: deliverB,
      then: confirmedOrder(5, {
        ...bothShipped,
        items: [
          item('a', 'sup_1', 2, 300, { status: 'shipped', shipped_at: d(22) }),
          item('b', 'sup_2', 1, 500, { status: 'delivered', shipped_at: d(23), delivered_at: d(24) }),
        ],
      }),
    });
    spec({
      given: [created, confirmed, shipA, shipB, deliverB],
      when: deliverA,
      then: confirmedOrder(6, {
        ...bothShipped,
        delivered_at: d(25),
        items: [
          item('a', 'sup_1', 2, 300, { status: 'delivered', shipped_at: d(22), delivered_at: d(25) }),
          item('b', 'sup_2', 1, 500, { status: 'delivered', shipped_at: d(23), delivered_at: d(24) }),
        ],
      }),
    });
  });
  it('a delivered item counts as shipped for the order shipped_at', () => {
    const deliverADirect = domainEvent('order.item_delivered', 'ord_1', 3, {
      item_id: 'a',
      delivered_at: d(22).toISOString(),
    });
    const shipBOnly = domainEvent('order.item_shipped', 'ord_1', 4, { item_id: 'b', shipped_at: d(23).toISOString() });
    spec({
      given: [created, confirmed, deliverADirect],
      when: shipBOnly,
      then: confirmedOrder(4, {
        shipped_at: d(23),
        // Not every item is delivered: the order is not.
        delivered_at: null,
        items: [
          item('a', 'sup_1', 2, 300, { status: 'delivered', delivered_at: d(22) }),
          item('b', 'sup_2', 1, 500, { status: 'shipped', shipped_at: d(23) }),
        ],
      }),
    });
  });
  it('an unknown item_id is rejected as unknown_item and changes nothing', () => {
    spec({
      given: [created, confirmed],
      when: domainEvent('order.item_shipped', 'ord_1', 3, { item_id: 'zzz', shipped_at: d(22).toISOString() }),
      then: { rejected: 'unknown_item' },
    });
    spec({
      given: [created],
      when: domainEvent('order.item_delivered', 'ord_1', 2, { item_id: 'a', delivered_at: d(22).toISOString() }),
      then: { rejected: 'unknown_item' },
    });
  });
  it('order.cancelled: cancelled_at and status', () => {
    spec({
      given: [created],
      when: domainEvent('order.cancelled', 'ord_1', 2, { cancelled_at: d(21).toISOString(), reason: 'changed mind' }),
      then: order(2, { status: 'cancelled', cancelled_at: d(21) }),
    });
  });
  it('order.attribution_recorded: sets the attribution fields given', () => {
    const first = domainEvent('order.attribution_recorded', 'ord_1', 2, {
      promotion_id: 'prm_1',
      community_id: 'com_1',
    });
    spec({
      given: [created, first],
      when: domainEvent('order.attribution_recorded', 'ord_1', 3, { community_id: null }),
      then: order(3, { promotion_id: 'prm_1', community_id: null }),
    });
  });
  it('an order event before order.created is rejected as missing_entity', () => {
    spec({ given: [], when: confirmed, then: { rejected: 'missing_entity' } });
  });
});
