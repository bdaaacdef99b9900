import { ORDER_STATUSES } from '@sc/event-schemas';
import { SHIPPABLE_ORDER_STATUSES, supplierQueueFilter } from '@sc/mongo-store';
import { orderSummariesProjection } from '../src';

// The query itself runs against real data in worker.int.test.ts; these pin what it asks and which index serves it.
describe("a supplier's queue", () => {
  it('keeps the orders that can still ship: every status of the contract but delivered, cancelled and refunded', () => {
    expect([...SHIPPABLE_ORDER_STATUSES].sort()).toEqual(
      ORDER_STATUSES.filter((s) => !['delivered', 'cancelled', 'refunded'].includes(s)).sort(),
    );
  });

  it('asks MongoDB for the supplier and "pending" on the same item ($elemMatch), in an order that can still ship', () => {
    expect(supplierQueueFilter('sup_1', { ferretdb: false })).toEqual({
      items: { $elemMatch: { supplier_id: 'sup_1', status: 'pending' } },
      status: { $in: [...SHIPPABLE_ORDER_STATUSES] },
    });
  });

  it('is served by a declared index whose keys are exactly the fields it constrains, all by equality', () => {
    const filter = supplierQueueFilter('sup_1', { ferretdb: false }) as {
      items: { $elemMatch: Record<string, unknown> };
      status: unknown;
    };
    const constrained = [...Object.keys(filter.items.$elemMatch).map((k) => `items.${k}`), 'status'];
    const index = orderSummariesProjection.indexes.find((i) => i.name === 'supplier_queue_shippable');
    expect(Object.keys(index?.keys ?? {})).toEqual(constrained);
    expect(Object.values(index?.keys ?? {})).toEqual([1, 1, 1]);
  });
});
