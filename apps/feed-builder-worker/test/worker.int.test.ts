import { DEFAULT_STREAM, expectedDocumentsOf, projectStreamEndToEnd } from '@sc/testing';
import type { Document } from 'mongodb';
import { FEED_BUILDER_WORKER } from '@sc/read-models';

const target = FEED_BUILDER_WORKER;

const newestFirst = (a: Document, b: Document) =>
  ((b['published_at'] as Date | null)?.getTime() ?? 0) - ((a['published_at'] as Date | null)?.getTime() ?? 0) ||
  `${a['source_id']}|${a['item_type']}`.localeCompare(`${b['source_id']}|${b['item_type']}`);
const ids = (docs: Document[]) => docs.map((d) => `${d['source_id']}|${d['item_type']}`);

describe('feed-builder-worker (built bundle, real Kafka and MongoDB)', () => {
  it('projects posts and promotions exactly, dead-letters exactly the poison, and serves the feed queries', async () => {
    await projectStreamEndToEnd(
      target,
      {
        seed: 606,
        ...DEFAULT_STREAM,
        users: 50,
        posts: 600,
        promotions: 150,
        orders: 0,
      },
      async (world) => {
        const expected = expectedDocumentsOf(target, world.stream);

        const items = [...expected.values()] as Document[];
        const feed = world.db.collection('feed_items');
        const query = (filter: Document) =>
          feed
            .find(filter, { projection: { _id: 0 } })
            .sort({ published_at: -1, source_id: 1, item_type: 1 })
            .limit(15)
            .toArray();
        // Global feed.
        expect(ids(await query({ is_global: true, status: 'published' }))).toEqual(
          ids(
            items
              .filter((d) => d['is_global'] === true && d['status'] === 'published')
              .sort(newestFirst)
              .slice(0, 15),
          ),
        );
        // One community's feed.
        const community = items.find((d) => d['community_id'] !== null)!['community_id'];
        expect(ids(await query({ community_id: community, status: 'published' }))).toEqual(
          ids(
            items
              .filter((d) => d['community_id'] === community && d['status'] === 'published')
              .sort(newestFirst)
              .slice(0, 15),
          ),
        );
        // One author's feed.
        const author = items[0]!['author_id'];
        expect(ids(await query({ author_id: author, status: 'published' }))).toEqual(
          ids(
            items
              .filter((d) => d['author_id'] === author && d['status'] === 'published')
              .sort(newestFirst)
              .slice(0, 15),
          ),
        );
        // Pinned items of a community.
        const pinned = await feed.countDocuments({ community_id: community, is_pinned: true });
        expect(pinned).toBe(items.filter((d) => d['community_id'] === community && d['is_pinned'] === true).length);
      },
    );
  });
});
