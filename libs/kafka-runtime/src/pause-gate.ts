// What the runtime knows of an operator's request to pause consuming (e.g. while a
// rebuild swaps a collection in). Only the shape lives here: where the request is kept
// (MongoDB in production) is the store adapter's business, so the Kafka runtime stays
// free of any store.

/** A pause in force: who asked for it, and which request (acknowledgements name it). */
export interface PauseRequest {
  /** Unique per request: an acknowledgement of an earlier request never counts for a later one. */
  readonly id: string;
  /** Who asked, for logs and `/readyz` (e.g. `rebuild of user_cards by host:pid`). */
  readonly by: string;
  /** When the request lapses unless its owner renews it (a crashed owner never pauses workers for good). */
  readonly leaseUntil: Date;
}

/** What this worker reports about a pause request. */
export interface PauseAcknowledgement {
  readonly request: string;
  /** The consumer group member id (what `describeGroups` lists), so the requester can tell who is missing. */
  readonly member: string;
  /** `paused`: no chunk in flight and none will start; `resumed`: consuming again (the request lapsed or ended). */
  readonly state: 'paused' | 'resumed';
}

/**
 * A pause request source the runtime polls before every chunk. `current()` must be
 * cheap and synchronous: the adapter keeps it fresh on a timer of its own, and judges
 * the lease by its own clock at each call, so a lapsed request frees the worker even
 * while the store cannot be read.
 */
export interface PauseGate {
  /** The pause in force now, or undefined. */
  current(): PauseRequest | undefined;
  /** Records an acknowledgement where the requester reads it; throws when it cannot (the runtime tries again). */
  acknowledge(ack: PauseAcknowledgement): Promise<void>;
}
