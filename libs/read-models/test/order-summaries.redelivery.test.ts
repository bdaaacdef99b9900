import type { ChunkRecord } from '@sc/kafka-runtime';
import { CRASH_POINTS, createMemoryWorld, domainRecord } from '@sc/testing';
import { orderSummariesProjection } from '../src';

const TOPIC = 'sc.domain.order';
const records = (...wire: ReturnType<typeof domainRecord>[]): ChunkRecord[] =>
  wire.map((r, offset) => ({ offset: String(offset), key: r.key, value: r.value }));

const created = (version = 1) =>
  domainRecord('order.created', 'ord_1', version, {
    order_number: 'SC-1',
    customer_id: 'usr_1',
    currency: 'EUR',
    total_cents: 1000,
    item_count: 1,
    created_at: '2026-11-20T00:00:00.000Z',
  });
const confirmed = (version: number) =>
  domainRecord('order.confirmed', 'ord_1', version, {
    confirmed_at: '2026-11-21T00:00:00.000Z',
    items: [
      { item_id: 'itm_a', product_id: 'prd_a', supplier_id: 'sup_1', title: 'A', quantity: 1, unit_price_cents: 1000 },
    ],
  });
const paid = (version: number) =>
  domainRecord('order.payment_succeeded', 'ord_1', version, { paid_at: '2026-11-21T00:00:00.000Z' });
const shippedUnknownItem = (version: number) =>
  domainRecord('order.item_shipped', 'ord_1', version, {
    item_id: 'itm_missing',
    shipped_at: '2026-11-22T00:00:00.000Z',
  });
const statusChanged = (version: number) =>
  domainRecord('order.status_changed', 'ord_1', version, { status: 'processing' });

// The three ways a redelivered record used to be judged against the state its own first delivery wrote.
const CASES = {
  // payment_succeeded v2 before created v1: missing_entity, and the order stays unpaid (a redelivery must not pay it).
  'missing entity (v2 before the created v1)': records(paid(2), created(1)),
  'missing entity followed by an applied newer event': records(paid(2), created(1), statusChanged(3)),
  // An item_shipped naming no item of the order: unknown_item, the last record of the chunk.
  'unknown item': records(created(1), confirmed(2), shippedUnknownItem(3)),
  // A rejection followed by an applied newer event: on redelivery the version rule alone would call it stale.
  'rejection followed by an applied newer event': records(
    created(1),
    confirmed(2),
    shippedUnknownItem(3),
    statusChanged(4),
  ),
} as const;

describe.each(Object.entries(CASES))('a chunk with a %s', (_name, chunk) => {
  async function calm() {
    const world = createMemoryWorld(orderSummariesProjection, TOPIC);
    expect((await world.deliver(chunk)).status).toBe('done');
    return world;
  }

  it('is dead-lettered and applied as the contract says, in a calm run', async () => {
    const world = await calm();
    expect(world.deadLetterSet().length).toBeGreaterThan(0);
    expect(world.sink.documents.size).toBe(1);
  });

  it('ends the same when delivered twice', async () => {
    const once = await calm();
    const twice = await calm();
    expect((await twice.deliver(chunk)).status).toBe('done');
    expect(twice.sink.documents).toEqual(once.sink.documents);
    expect(twice.deadLetterSet()).toEqual(once.deadLetterSet());
  });

  it.each(CRASH_POINTS)('ends the same after a crash %s and a redelivery', async (crash) => {
    const reference = await calm();
    const world = createMemoryWorld(orderSummariesProjection, TOPIC);
    expect((await world.deliver(chunk, crash)).status).toBe('stopped');
    expect((await world.deliver(chunk)).status).toBe('done');
    expect(world.sink.documents).toEqual(reference.sink.documents);
    expect(world.deadLetterSet()).toEqual(reference.deadLetterSet());
    // Replayed stale once more, after the recovery: still the same.
    expect((await world.deliver(chunk)).status).toBe('done');
    expect(world.sink.documents).toEqual(reference.sink.documents);
    expect(world.deadLetterSet()).toEqual(reference.deadLetterSet());
  });
});
