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
export { foldEvents, groupByKey } from './fold';
export type { EventOutcome, FoldResult } from './fold';
export { ensureIndexes } from './indexes';
export { SHIPPABLE_ORDER_STATUSES, findSupplierQueue, supplierQueueFilter } from './supplier-queue';
export type { SupplierQueueItem } from './supplier-queue';
export { POSITION_FIELD, alreadyFolded, givenFields, isRejection, missingEntity } from './projection';
export type {
  DocumentBody,
  IndexDeclaration,
  ProjectionDefinition,
  Rejection,
  RejectionReason,
  SourcePosition,
  VersionStamp,
  VersionedEvent,
} from './projection';
export {
  FERRETDB_MAX_UPDATES_PER_COMMAND,
  connectMongo,
  createVersionedStore,
  describeServer,
  openVersionedStore,
} from './store';
export type {
  ApplyOptions,
  BatchResult,
  IndexedRejection,
  MongoConnectionOptions,
  OpenVersionedStoreOptions,
  VersionedStore,
  VersionedStoreOptions,
} from './store';
