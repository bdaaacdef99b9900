import { DEFAULT_STREAM, expectedDocumentsOf, projectStreamEndToEnd } from '@sc/testing';
import type { Document } from 'mongodb';
import { describeServer, findSupplierQueue, supplierQueueFilter } from '@sc/mongo-store';
import { ORDER_SUMMARY_WORKER } from '@sc/read-models';

const target = ORDER_SUMMARY_WORKER;

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
      async (world) => {
        expect(world.records.some((p) => p.kind === 'poison' && p.expectedReason === 'unknown_item')).toBe(true);
        const expected = expectedDocumentsOf(target, world.stream);

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
        // Every supplier's queue: their items still pending, in orders that can still ship, oldest order first.
        // Expected from the simulator's documents, with a predicate of this test's own.
        const closed = new Set(['delivered', 'cancelled', 'refunded']);
        const items = (o: Document) => o['items'] as Document[];
        const byAge = [...orders].sort(
          (a, b) =>
            (a['created_at'] as Date).getTime() - (b['created_at'] as Date).getTime() ||
            (String(a['order_id']) < String(b['order_id']) ? -1 : 1),
        );
        const expectedQueue = (supplier: string) =>
          byAge
            .filter((o) => !closed.has(o['status'] as string))
            .flatMap((o) =>
              items(o)
                .filter((i) => i['supplier_id'] === supplier && i['status'] === 'pending')
                .map((i) => `${o['order_id']}/${i['item_id']}`),
            );
        const suppliers = [...new Set(orders.flatMap((o) => items(o).map((i) => String(i['supplier_id']))))].sort();
        expect(suppliers.length).toBeGreaterThan(1);
        // The stream has the orders the two mistakes would list: one where the supplier's item is shipped and
        // another supplier's is pending (dotted conditions without $elemMatch), and cancelled orders with
        // pending items (no order-status condition).
        const otherSuppliersPending = (supplier: string) =>
          orders.filter(
            (o) =>
              !closed.has(o['status'] as string) &&
              items(o).some((i) => i['supplier_id'] === supplier && i['status'] !== 'pending') &&
              items(o).some((i) => i['supplier_id'] !== supplier && i['status'] === 'pending') &&
              !items(o).some((i) => i['supplier_id'] === supplier && i['status'] === 'pending'),
          );
        const cancelledWithPending = (supplier: string) =>
          orders.filter(
            (o) =>
              o['status'] === 'cancelled' &&
              items(o).some((i) => i['supplier_id'] === supplier && i['status'] === 'pending'),
          );
        expect(suppliers.filter((s) => otherSuppliersPending(s).length > 0).length).toBeGreaterThan(0);
        expect(suppliers.filter((s) => cancelledWithPending(s).length > 0).length).toBeGreaterThan(0);
        for (const supplier of suppliers) {
          const queue = await findSupplierQueue(world.db, supplier);
          expect({ supplier, queue: queue.map((q) => `${q.order_id}/${q.item_id}`) }).toEqual({
            supplier,
            queue: expectedQueue(supplier),
          });
          expect(queue.every((q) => q.order_status !== undefined && q.title !== undefined)).toBe(true);
        }
        // The summary's limit counts items, in the same order.
        const busiest = suppliers.reduce((a, b) => (expectedQueue(b).length > expectedQueue(a).length ? b : a));
        expect(expectedQueue(busiest).length).toBeGreaterThan(5);
        expect(
          (await findSupplierQueue(world.db, busiest, { limit: 5 })).map((q) => `${q.order_id}/${q.item_id}`),
        ).toEqual(expectedQueue(busiest).slice(0, 5));
        // On MongoDB the declared index serves the whole filter (FerretDB v1 scans whatever the filter).
        const server = await describeServer(world.db);
        if (!server.ferretdb) {
          const plan = JSON.stringify(
            await summaries.find(supplierQueueFilter(busiest, server)).explain('queryPlanner'),
          );
          expect(plan).toContain('"indexName":"supplier_queue_shippable"');
          expect(plan).toContain('"items.status":["[\\"pending\\", \\"pending\\"]"]');
        }
        // By order number, and by status.
        expect(await summaries.countDocuments({ order_number: orders[0]!['order_number'] })).toBe(1);
        expect(await summaries.countDocuments({ status: 'delivered' })).toBe(
          orders.filter((o) => o['status'] === 'delivered').length,
        );
      },
    );
  });
});
