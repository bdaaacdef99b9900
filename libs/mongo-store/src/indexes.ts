import { MongoServerError } from 'mongodb';
import type { Collection, Document } from 'mongodb';
import type { Logger } from '@sc/service-kit';
import { StoreError, toStoreError } from './errors';
import type { IndexDeclaration } from '@sc/projection-core';

/**
 * Server codes of `createIndex` when an index of the same name or keys exists with other
 * options or other keys (names as in MongoDB's src/mongo/base/error_codes.yml).
 */
export const INDEX_CONFLICT_CODES = Object.freeze({
  IndexOptionsConflict: 85,
  IndexKeySpecsConflict: 86,
} as const);

const INDEX_CONFLICT = new Set<number>(Object.values(INDEX_CONFLICT_CODES));

/**
 * Creates each declared index with its own `createIndex` call (FerretDB v1 can fail
 * on several existing indexes in one call), then checks the result with
 * `listIndexes`. An existing index with the same name and other keys or options is
 * an INDEX_CONFLICT: a human must decide, so it is not retriable.
 */
export async function ensureIndexes(
  collection: Collection<Document>,
  indexes: readonly IndexDeclaration[],
  logger: Logger,
): Promise<void> {
  const context = { collection: collection.collectionName };
  for (const index of indexes) {
    try {
      await collection.createIndex({ ...index.keys }, { name: index.name, unique: index.unique ?? false });
    } catch (error) {
      if (error instanceof MongoServerError && typeof error.code === 'number' && INDEX_CONFLICT.has(error.code)) {
        throw conflict(collection.collectionName, index, error.message, error);
      }
      throw toStoreError(error, `createIndex ${index.name} on ${collection.collectionName}`, context);
    }
  }
  let existing: Document[];
  try {
    existing = await collection.listIndexes().toArray();
  } catch (error) {
    throw toStoreError(error, `listIndexes on ${collection.collectionName}`, context);
  }
  for (const index of indexes) {
    const found = existing.find((e) => e['name'] === index.name);
    const sameKeys = found !== undefined && JSON.stringify(found['key']) === JSON.stringify(index.keys);
    const sameUnique = found !== undefined && Boolean(found['unique']) === Boolean(index.unique);
    if (!sameKeys || !sameUnique) {
      throw conflict(
        collection.collectionName,
        index,
        `found ${found ? JSON.stringify({ key: found['key'], unique: found['unique'] ?? false }) : 'no such index'}`,
      );
    }
  }
  logger.info({ collection: collection.collectionName, indexes: indexes.map((i) => i.name) }, 'indexes ready');
}

function conflict(collectionName: string, index: IndexDeclaration, detail: string, cause?: unknown): StoreError {
  return new StoreError(
    'INDEX_CONFLICT',
    `index ${index.name} on ${collectionName} conflicts with an existing index (declared ${JSON.stringify({ key: index.keys, unique: index.unique ?? false })}): ${detail}. Drop or rename the existing index, then restart.`,
    { retriable: false, cause, context: { collection: collectionName, index: index.name } },
  );
}
