import { GROUP_TOPICS, deadLetterTopicOf, eventTypesOfTopics } from '@sc/event-schemas';
import type { ConsumerGroup, EventOfGroup, EventType } from '@sc/event-schemas';
import type { ProjectionDefinition, VersionStamp } from './projection';

/**
 * Everything that identifies one projection worker, declared once: the app, its
 * consumer group and topics, its read model (collection, key, indexes, evolve) and
 * its default probe port. Entry points, tests, tools and manifests derive from it.
 */
export interface WorkerDescriptor<G extends ConsumerGroup = ConsumerGroup, TDoc extends VersionStamp = VersionStamp> {
  /** The app (and image, Deployment, bundle) name, e.g. `user-cards-worker`. */
  readonly app: string;
  /** The contract's consumer group. */
  readonly group: G;
  /** The domain topics the group reads, from the contract. */
  readonly topics: (typeof GROUP_TOPICS)[G];
  /** `sc.dlq.<group>`. */
  readonly deadLetterTopic: string;
  /** The event types of those topics: the ones `evolve` must handle. */
  readonly eventTypes: readonly EventOfGroup<G>['event_type'][];
  /** Port of `/livez`, `/readyz` and `/metrics` unless HTTP_PORT says otherwise. */
  readonly defaultPort: number;
  /** The read model; its events are exactly those of the group's topics (checked by the compiler). */
  readonly projection: ProjectionDefinition<EventOfGroup<G>, TDoc>;
}

/**
 * Declares a projection worker. The projection's event type is tied to the group's
 * topics: a projection of order events declared for the user-cards group does not
 * compile, and `evolve` (a `switch` over `event_type` with a declared return type)
 * does not compile while an event type of those topics has no rule.
 */
export function defineWorker<G extends ConsumerGroup, TDoc extends VersionStamp>(declaration: {
  readonly app: string;
  readonly group: G;
  readonly defaultPort: number;
  readonly projection: ProjectionDefinition<EventOfGroup<G>, TDoc>;
}): WorkerDescriptor<G, TDoc> {
  const topics = GROUP_TOPICS[declaration.group];
  return {
    ...declaration,
    topics,
    deadLetterTopic: deadLetterTopicOf(declaration.group),
    eventTypes: eventTypesOfTopics(topics) as EventType[] as EventOfGroup<G>['event_type'][],
  };
}
