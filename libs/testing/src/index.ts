export { dockerAnswers, provideInfrastructure } from './infrastructure';
export type { TestInfrastructure } from './infrastructure';
export {
  createTopics,
  eventually,
  groupLag,
  headersAsStrings,
  produceAll,
  produceRecords,
  readTopic,
  testKafka,
} from './kafka';
export type { ReadRecord } from './kafka';
export { createTestNamespace } from './names';
export { checkProjectionSpec, domainEvent, domainRecord } from './projection-spec';
export type { ProjectionSpec } from './projection-spec';
export { projectionSpec } from './projection-spec';
export { bundlePath, startWorkerProcess } from './worker-process';
export type { WorkerProcess } from './worker-process';
export {
  DEFAULT_STREAM,
  createEndToEndWorld,
  expectedDocumentsOf,
  projectStreamEndToEnd,
  simulatorKeyOf,
} from './end-to-end';
export type { EndToEndTarget, EndToEndWorld } from './end-to-end';
export { createMemorySink } from './memory-sink';
export type { MemorySink } from './memory-sink';
export {
  CRASH_POINTS,
  comparableDocuments,
  createMemoryWorld,
  describeStreamFold,
  foldStreamInMemory,
} from './memory-world';
export type { CrashPoint, MemoryWorld, StreamFoldOptions } from './memory-world';
export { commandNameOf, startFaultProxy } from './fault-proxy';
export type { FaultCommand, FaultMoment, FaultProxy } from './fault-proxy';
