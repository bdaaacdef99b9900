export { StoreError, isRetriableMongoError, toStoreError } from './errors';
export type { StoreErrorCode } from './errors';
export {
  DOCUMENT_CAUSED_CODES,
  DUPLICATE_KEY,
  TRANSIENT_SERVER_CODES,
  documentCausedWriteErrors,
  driverDocumentSizeLimit,
  isDocumentCausedCode,
} from './errors';
export type { DocumentCausedCodeName, DocumentWriteError, RetryReason } from './errors';
export { UNPARSABLE_MONGO_URL, redactMongoUrl } from './redact';
export { INDEX_CONFLICT_CODES, ensureIndexes } from './indexes';
export { SHIPPABLE_ORDER_STATUSES, findSupplierQueue, supplierQueueFilter } from './supplier-queue';
export type { SupplierQueueItem } from './supplier-queue';
export { MAX_BSON_OBJECT_SIZE } from './plan';
export { FERRETDB_MAX_UPDATES_PER_COMMAND, connectMongo, describeServer } from './connection';
export type { MongoConnectionOptions, ServerInfo } from './connection';
export { createVersionedStore } from './store';
export type { BatchResult, KeyLookup, VersionedStore, VersionedStoreOptions } from './store';
export { openVersionedStore } from './open';
export type { OpenVersionedStoreOptions } from './open';
export {
  MONGO_STORE_ENV_VARS,
  REQUIRED_MONGO_STORE_ENV_VARS,
  loadMongoStoreConfig,
  mongoStoreEnvSchema,
} from './config';
export type { MongoStoreConfig } from './config';
export { mongoSinkAdapter } from './sink-opener';
export { createStoreMetrics } from './metrics';
export type { StoreMetrics } from './metrics';
export { measureWriteVolume } from './write-volume';
export type { WriteVolume } from './write-volume';
export {
  PAUSE_ACKS_COLLECTION,
  PAUSE_CONTROL_COLLECTION,
  pauseInForce,
  readPauseAcks,
  releasePause,
  renewPause,
  requestPause,
  unacknowledgedMembers,
} from './pause-control';
export type { PauseAckDocument, PauseControlDocument } from './pause-control';
export { DEFAULT_PAUSE_REFRESH_MS, openMongoPauseGate } from './pause-gate';
export type { MongoPauseGate, MongoPauseGateOptions } from './pause-gate';
