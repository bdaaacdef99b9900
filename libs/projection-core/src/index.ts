export { foldEvents, groupByKey } from './fold';
export type { FoldResult } from './fold';
export { RECORD_OUTCOMES } from './outcome';
export type { EventOutcome, RecordOutcome } from './outcome';
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
export type { ApplyOptions, ApplyResult, IndexedRejection, ProjectionSink } from './sink';
export { defineWorker } from './worker-descriptor';
export type { WorkerDescriptor } from './worker-descriptor';
