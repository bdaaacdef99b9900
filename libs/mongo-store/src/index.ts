export { StoreError, isRetriableMongoError, toStoreError } from './errors';
export type { StoreErrorCode } from './errors';
export {
  DOCUMENT_CAUSED_CODES,
  DUPLICATE_KEY,
  TRANSIENT_SERVER_CODES,
  documentCausedWriteErrors,
  isDocumentCausedCode,
} from './errors';
export type { DocumentCausedCodeName, DocumentWriteError, RetryReason } from './errors';
export { UNPARSABLE_MONGO_URL, redactMongoUrl } from './redact';
export { ensureIndexes } from './indexes';
export { SHIPPABLE_ORDER_STATUSES, findSupplierQueue, supplierQueueFilter } from './supplier-queue';
export type { SupplierQueueItem } from './supplier-queue';
export {
  FERRETDB_MAX_UPDATES_PER_COMMAND,
  connectMongo,
  createVersionedStore,
  describeServer,
  openVersionedStore,
} from './store';
export type {
  BatchResult,
  MongoConnectionOptions,
  OpenVersionedStoreOptions,
  VersionedStore,
  VersionedStoreOptions,
} from './store';
