// Operator pause requests kept in MongoDB, beside the read models: one control
// document per collection, written by whoever needs the workers of that collection to
// stop consuming for a moment (a rebuild swapping a collection in), and one
// acknowledgement per worker. The runtime only sees an abstract gate (kafka-runtime's
// `PauseGate`); ./pause-gate is that gate over these documents. The judgements are
// pure functions here, so they are tested without a server.
import type { Db } from 'mongodb';

/** The collection of pause requests: `_id` is the paused read model's collection. */
export const PAUSE_CONTROL_COLLECTION = 'sc_projection_control';

/** The collection of the workers' acknowledgements: `_id` is `<collection>/<member id>`. */
export const PAUSE_ACKS_COLLECTION = 'sc_projection_control_acks';

/** A pause request as stored. */
export interface PauseControlDocument {
  readonly _id: string;
  /** Unique per request (acknowledgements name it). */
  readonly request: string;
  readonly paused_by: string;
  readonly requested_at: Date;
  /** The request lapses then unless renewed: a requester that died frees the workers by itself. */
  readonly lease_until: Date;
}

/** A worker's acknowledgement as stored. */
export interface PauseAckDocument {
  readonly _id: string;
  readonly collection: string;
  readonly request: string;
  /** The consumer group member id, as `describeGroups` lists it. */
  readonly member: string;
  /** `host:pid` of the worker process, for people. */
  readonly instance: string;
  readonly state: 'paused' | 'resumed';
  readonly paused_at?: Date;
  readonly resumed_at?: Date;
}

/** The pause in force per `doc` at `now`: none without a document, or once its lease is over. */
export function pauseInForce(
  doc: PauseControlDocument | null | undefined,
  now: Date,
): { readonly id: string; readonly by: string; readonly leaseUntil: Date } | undefined {
  if (!doc || !(doc.lease_until instanceof Date) || doc.lease_until.getTime() <= now.getTime()) return undefined;
  return { id: doc.request, by: doc.paused_by, leaseUntil: doc.lease_until };
}

/**
 * The members of `members` that have not acknowledged `request` as paused (an
 * acknowledgement of another request, or one that says resumed, does not count).
 */
export function unacknowledgedMembers(
  members: readonly string[],
  acks: readonly Pick<PauseAckDocument, 'member' | 'request' | 'state'>[],
  request: string,
): string[] {
  const paused = new Set(acks.filter((a) => a.request === request && a.state === 'paused').map((a) => a.member));
  return members.filter((m) => !paused.has(m));
}

/** Writes (or replaces) the pause request of `collection`. */
export async function requestPause(
  db: Db,
  collection: string,
  request: { readonly id: string; readonly by: string; readonly now: Date; readonly leaseMs: number },
): Promise<void> {
  await db.collection<PauseControlDocument>(PAUSE_CONTROL_COLLECTION).replaceOne(
    { _id: collection },
    {
      request: request.id,
      paused_by: request.by,
      requested_at: request.now,
      lease_until: new Date(request.now.getTime() + request.leaseMs),
    },
    { upsert: true },
  );
}

/**
 * Extends the lease of `request` to `leaseUntil`; false when it is not in force at
 * `now` any more (released, replaced, or lapsed: workers may have resumed, so a lapsed
 * request is never revived).
 */
export async function renewPause(
  db: Db,
  collection: string,
  request: string,
  now: Date,
  leaseUntil: Date,
): Promise<boolean> {
  const result = await db
    .collection<PauseControlDocument>(PAUSE_CONTROL_COLLECTION)
    .updateOne({ _id: collection, request, lease_until: { $gt: now } }, { $set: { lease_until: leaseUntil } });
  return result.matchedCount === 1;
}

/** Ends `request` (only that one) and forgets its acknowledgements. */
export async function releasePause(db: Db, collection: string, request: string): Promise<void> {
  await db.collection<PauseControlDocument>(PAUSE_CONTROL_COLLECTION).deleteOne({ _id: collection, request });
  await db.collection<PauseAckDocument>(PAUSE_ACKS_COLLECTION).deleteMany({ collection, request });
}

/** The acknowledgements of `request`. */
export async function readPauseAcks(db: Db, collection: string, request: string): Promise<PauseAckDocument[]> {
  return db.collection<PauseAckDocument>(PAUSE_ACKS_COLLECTION).find({ collection, request }).toArray();
}
