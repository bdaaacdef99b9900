import type { Db, Document } from 'mongodb';
import { findSupplierQueue } from '@sc/mongo-store';
import { formatTable } from '@sc/service-kit';

/** One example read-model query of the design, with its result rows. */
export interface QueryExample {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
}

/** Document counts and an example of each query the design's indexes serve. */
export interface ReadModelSummary {
  readonly counts: Readonly<Record<string, number>>;
  readonly examples: readonly QueryExample[];
}

const LIMIT = 5;

/** Runs the design's read-model queries against the collections. */
export async function summarizeReadModels(db: Db): Promise<ReadModelSummary> {
  const users = db.collection('user_cards');
  const feed = db.collection('feed_items');
  const orders = db.collection('order_summaries');
  const counts = {
    user_cards: await users.countDocuments(),
    feed_items: await feed.countDocuments(),
    order_summaries: await orders.countDocuments(),
  };
  const feedRow = (d: Document) => [
    d['item_type'],
    d['source_id'],
    d['author_id'],
    d['community_id'],
    d['published_at'],
  ];
  const feedHeaders = ['type', 'source', 'author', 'community', 'published_at'];
  const newest = { published_at: -1 } as const;
  const community = (await feed.findOne({ community_id: { $ne: null }, status: 'published' }))?.['community_id'] as
    | string
    | undefined;
  const author = (await feed.findOne({ status: 'published' }))?.['author_id'] as string | undefined;
  const customer = (await orders.findOne({}))?.['customer_id'] as string | undefined;
  const supplier = 'sup_1';

  const examples: QueryExample[] = [
    {
      title: 'Global feed (is_global, status, published_at desc)',
      headers: feedHeaders,
      rows: (await feed.find({ is_global: true, status: 'published' }).sort(newest).limit(LIMIT).toArray()).map(
        feedRow,
      ),
    },
    {
      title: `Community feed of ${community ?? '-'} (community_id, status, published_at desc)`,
      headers: feedHeaders,
      rows: (
        await feed
          .find({ community_id: community ?? null, status: 'published' })
          .sort(newest)
          .limit(LIMIT)
          .toArray()
      ).map(feedRow),
    },
    {
      title: `Feed of author ${author ?? '-'} (author_id, status, published_at desc)`,
      headers: feedHeaders,
      rows: (
        await feed
          .find({ author_id: author ?? null, status: 'published' })
          .sort(newest)
          .limit(LIMIT)
          .toArray()
      ).map(feedRow),
    },
    {
      title: `Pinned items of ${community ?? '-'} (community_id, is_pinned)`,
      headers: feedHeaders,
      rows: (
        await feed
          .find({ community_id: community ?? null, is_pinned: true })
          .limit(LIMIT)
          .toArray()
      ).map(feedRow),
    },
    {
      title: `Order history of customer ${customer ?? '-'} (customer_id, created_at desc)`,
      headers: ['order', 'number', 'status', 'payment', 'items', 'total', 'created_at'],
      rows: (
        await orders
          .find({ customer_id: customer ?? null })
          .sort({ created_at: -1 })
          .limit(LIMIT)
          .toArray()
      ).map((d) => [
        d['order_id'],
        d['order_number'],
        d['status'],
        d['payment_status'],
        d['item_count'],
        `${((d['total_cents'] as number) / 100).toFixed(2)} ${d['currency']}`,
        d['created_at'],
      ]),
    },
    {
      title: `Queue of supplier ${supplier}: their pending items in orders that can still ship, oldest first (items.supplier_id, items.status, status)`,
      headers: ['order', 'item', 'title', 'quantity', 'order status'],
      rows: (await findSupplierQueue(db, supplier, { limit: LIMIT })).map((i) => [
        i.order_id,
        i.item_id,
        i.title,
        i.quantity,
        i.order_status,
      ]),
    },
    {
      title: 'Top users by followers (follower_count desc)',
      headers: ['user', 'name', 'role', 'status', 'followers'],
      rows: (await users.find({}).sort({ follower_count: -1 }).limit(LIMIT).toArray()).map((d) => [
        d['user_id'],
        d['display_name'],
        d['role'],
        d['status'],
        d['follower_count'],
      ]),
    },
  ];
  return { counts, examples };
}

/** The summary as readable text. */
export function formatSummary(summary: ReadModelSummary): string {
  const parts = [
    formatTable(
      ['collection', 'documents'],
      Object.entries(summary.counts).map(([name, count]) => [name, count]),
    ),
  ];
  for (const example of summary.examples)
    parts.push(
      `${example.title}\n${example.rows.length > 0 ? formatTable(example.headers, example.rows) : '(no documents)'}`,
    );
  return parts.join('\n\n');
}
