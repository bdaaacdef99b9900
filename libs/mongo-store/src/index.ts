export { StoreError, isRetriableMongoError, toStoreError } from './errors';
export type { StoreErrorCode } from './errors';
export { foldEvents, groupByKey } from './fold';
export type { EventOutcome, FoldResult } from './fold';
export { ensureIndexes } from './indexes';
export { givenFields, isRejection, missingEntity } from './projection';
export type {
  DocumentBody,
  IndexDeclaration,
  ProjectionDefinition,
  Rejection,
  RejectionReason,
  VersionStamp,
  VersionedEvent,
} from './projection';
export {
  FERRETDB_MAX_UPDATES_PER_COMMAND,
  connectMongo,
  createVersionedStore,
  describeServer,
  openVersionedStore,
  redactUrl,
} from './store';
export type {
  BatchResult,
  MongoConnectionOptions,
  OpenVersionedStoreOptions,
  VersionedStore,
  VersionedStoreOptions,
} from './store';
