import { WORKERS } from '@sc/read-models';

/** The three projections as the tools see them: derived from the workers' descriptors. */
export const PROJECTIONS = WORKERS.map((worker) => ({
  name: worker.projection.name,
  app: worker.app,
  group: worker.group,
  topics: worker.topics as readonly string[],
  collection: worker.projection.collection,
  deadLetterTopic: worker.deadLetterTopic,
  defaultPort: worker.defaultPort,
}));

export type Projection = (typeof PROJECTIONS)[number];
