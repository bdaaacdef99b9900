import { CONSUMER_GROUPS, GROUP_TOPICS } from '@sc/event-schemas';
import { DEFAULT_STREAM, projectStreamEndToEnd } from '@sc/testing';
import type { EndToEndTarget } from '@sc/testing';
import type { Document } from 'mongodb';
import { orderSummariesProjection } from '../src/order-summaries.projection';

const target: EndToEndTarget = {
  app: 'order-summary-worker',
  group: CONSUMER_GROUPS.orderSummaries,
  topics: GROUP_TOPICS[CONSUMER_GROUPS.orderSummaries],
  collection: 'order_summaries',
  keyOf: (doc) => String(doc['order_id']),
  expected: (stream) => stream.expected.order_summaries,
};

describe('order-summary-worker (built bundle, real Kafka and MongoDB)', () => {
  it('projects orders exactly (items shipped and delivered one by one), dead-letters exactly the poison, and serves the order queries', async () => {
    await projectStreamEndToEnd(
      target,
      {
        seed: 707,
        ...DEFAULT_STREAM,
        users: 40,
        posts: 0,
        promotions: 0,
        orders: 500,
      },
      orderSummariesProjection.indexes,
      async (world) => {
        expect(world.records.some((p) => p.kind === 'poison' && p.expectedReason === 'unknown_item')).toBe(true);
        const expected = target.expected(world.stream);

        const orders = [...expected.values()] as Document[];
        const summaries = world.db.collection('order_summaries');
        // One customer's order history, newest first.
        const customer = orders[0]!['customer_id'];
        const history = await summaries
          .find({ customer_id: customer }, { projection: { _id: 0, order_id: 1 } })
          .sort({ created_at: -1 })
          .toArray();
        expect(history.map((d) => d['order_id'])).toEqual(
          orders
            .filter((o) => o['customer_id'] === customer)
            .sort((a, b) => (b['created_at'] as Date).getTime() - (a['created_at'] as Date).getTime())
            .map((o) => o['order_id']),
        );
        // One supplier's queue: orders with an item of theirs still to ship.
        const queue = await summaries
          .find(
            { 'items.supplier_id': 'sup_1', 'items.status': 'pending' },
            { projection: { _id: 0, order_id: 1, items: 1 } },
          )
          .toArray();
        const hasPending = (o: Document) =>
          (o['items'] as Document[]).some((i) => i['supplier_id'] === 'sup_1' && i['status'] === 'pending');
        expect(
          queue
            .filter(hasPending)
            .map((d) => d['order_id'])
            .sort(),
        ).toEqual(
          orders
            .filter(hasPending)
            .map((o) => o['order_id'])
            .sort(),
        );
        // By order number, and by status.
        expect(await summaries.countDocuments({ order_number: orders[0]!['order_number'] })).toBe(1);
        expect(await summaries.countDocuments({ status: 'delivered' })).toBe(
          orders.filter((o) => o['status'] === 'delivered').length,
        );
      },
    );
  });
});
