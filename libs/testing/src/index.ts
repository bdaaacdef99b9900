export { provideInfrastructure } from './infrastructure';
export type { TestInfrastructure } from './infrastructure';
export { createTopics, eventually, groupLag, headersAsStrings, produceAll, readTopic, testKafka } from './kafka';
export type { ReadRecord } from './kafka';
export { createTestNamespace } from './names';
export { checkProjectionSpec, domainEvent } from './projection-spec';
export type { ProjectionSpec } from './projection-spec';
