import type { Db, Document, Filter } from 'mongodb';
import { describeServer } from './connection';

/**
 * Order statuses in which an order can still ship: every status of the contract
 * (`order.status_changed`) but `delivered`, `cancelled` and `refunded`.
 */
export const SHIPPABLE_ORDER_STATUSES = ['pending', 'confirmed', 'processing', 'shipped'] as const;

/** One line of a supplier's queue: an item of theirs still pending, in an order that can still ship. */
export interface SupplierQueueItem {
  readonly order_id: string;
  readonly order_number: string;
  readonly order_status: string;
  readonly created_at: Date;
  readonly item_id: string;
  readonly product_id: string;
  readonly title: string;
  readonly quantity: number;
}

/**
 * The server-side filter of a supplier's queue in `order_summaries`.
 *
 * On MongoDB: `items: { $elemMatch: { supplier_id, status: 'pending' } }` (the same
 * item must be the supplier's and pending; two dotted conditions would match an
 * order where the supplier's item is shipped and another supplier's is pending)
 * and `status: { $in: SHIPPABLE_ORDER_STATUSES }`. The index `supplier_queue_shippable`
 * (`items.supplier_id`, `items.status`, `status`) serves all of it: `explain` shows
 * an IXSCAN of that index with bounds `items.supplier_id: [s, s]`,
 * `items.status: ["pending", "pending"]` (compounded because both conditions sit in
 * one `$elemMatch`; without it the second field's bounds are [MinKey, MaxKey]) and
 * `status`: the four statuses, then a FETCH that re-checks the `$elemMatch`; keys
 * examined ≈ documents returned.
 *
 * FerretDB v1 refuses `$elemMatch` on fields of embedded documents ("unknown
 * operator: supplier_id"), and its `$unwind` drops the other fields; it pushes
 * neither dotted nor `$elemMatch` filters down to PostgreSQL (`explain`:
 * `filterPushdown: false`, a Seq Scan), so it scans the collection whatever the
 * filter. There the filter is the dotted superset, and {@link findSupplierQueue}
 * checks each item itself.
 */
export function supplierQueueFilter(supplierId: string, server: { readonly ferretdb: boolean }): Filter<Document> {
  const status = { $in: [...SHIPPABLE_ORDER_STATUSES] };
  return server.ferretdb
    ? { 'items.supplier_id': supplierId, 'items.status': 'pending', status }
    : { items: { $elemMatch: { supplier_id: supplierId, status: 'pending' } }, status };
}

/**
 * A supplier's queue, oldest order first (then order id, then the order's item
 * order): the items of theirs still pending in orders that can still ship. The one
 * query of the design's supplier queue, for the summary of `npm start` and the
 * order worker's test.
 */
export async function findSupplierQueue(
  db: Db,
  supplierId: string,
  { limit = Infinity, collection = 'order_summaries' }: { readonly limit?: number; readonly collection?: string } = {},
): Promise<SupplierQueueItem[]> {
  const server = await describeServer(db);
  const cursor = db
    .collection(collection)
    .find(supplierQueueFilter(supplierId, server), {
      projection: { _id: 0, order_id: 1, order_number: 1, status: 1, created_at: 1, items: 1 },
    })
    .sort({ created_at: 1, order_id: 1 });
  // On MongoDB every order matches; the limit is in items, so orders are read until it is reached.
  if (!server.ferretdb && Number.isFinite(limit)) cursor.limit(limit);
  const queue: SupplierQueueItem[] = [];
  try {
    for await (const order of cursor) {
      for (const item of (order['items'] ?? []) as Document[]) {
        if (item['supplier_id'] !== supplierId || item['status'] !== 'pending') continue;
        queue.push({
          order_id: order['order_id'] as string,
          order_number: order['order_number'] as string,
          order_status: order['status'] as string,
          created_at: order['created_at'] as Date,
          item_id: item['item_id'] as string,
          product_id: item['product_id'] as string,
          title: item['title'] as string,
          quantity: item['quantity'] as number,
        });
      }
      if (queue.length >= limit) break;
    }
  } finally {
    await cursor.close();
  }
  return queue.slice(0, limit);
}
