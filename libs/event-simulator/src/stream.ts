import { DEAD_LETTER_REASONS, DOMAIN_TOPICS, POST_CONTENT_TYPES, USER_ROLES } from '@sc/event-schemas';
import type { DeadLetterReason, EntityType, EventType, ORDER_STATUSES, PayloadInputOf } from '@sc/event-schemas';
import { createRandom } from './random';
import type { Random } from './random';

/** What a generated record is, so tests and tools can count what they produced. */
export type RecordKind = 'event' | 'duplicate' | 'stale' | 'ignored' | 'poison';

/** One Kafka record of the simulated platform. */
export interface SimulatedRecord {
  /** The contract's topic (without any name prefix). */
  readonly topic: string;
  readonly key: string | null;
  /** The value bytes as a string (`null` for a tombstone). */
  readonly value: string | null;
  readonly kind: RecordKind;
  readonly eventType?: string;
  /** For poison records: the reason the worker must dead-letter them for. */
  readonly expectedReason?: DeadLetterReason;
}

/** Knobs of {@link generateStream}. */
export interface StreamOptions {
  readonly seed: number;
  readonly users: number;
  readonly posts: number;
  readonly promotions: number;
  readonly orders: number;
  /** Share of events sent twice (same event id), e.g. 0.05. */
  readonly duplicateRate: number;
  /** Share of events re-sent later, after newer versions of the entity. */
  readonly staleRate: number;
  /** Share of records that are poison (every dead-letter reason in turn). */
  readonly poisonRate: number;
  /** Share of events of types the contract does not list (ignored, but they use a version). */
  readonly unknownTypeRate?: number;
  /**
   * Share of entities whose second event overtakes their `*.created` (same key, so
   * the same partition): dead-lettered as missing_entity, never applied.
   */
  readonly outOfOrderRate?: number;
  /** First `occurred_at`; each event is a few seconds after the previous one. */
  readonly start?: Date;
}

/** The generator's own account of every read-model document, for exact comparisons. */
export interface ExpectedDocuments {
  readonly user_cards: Map<string, Record<string, unknown>>;
  readonly feed_items: Map<string, Record<string, unknown>>;
  readonly order_summaries: Map<string, Record<string, unknown>>;
}

/** A generated stream and what it must produce. */
export interface SimulatedStream {
  readonly records: SimulatedRecord[];
  readonly expected: ExpectedDocuments;
  /** Records per kind and per event type, as produced. */
  readonly counts: {
    readonly byKind: Record<RecordKind, number>;
    readonly byEventType: Record<string, number>;
    readonly byTopic: Record<string, number>;
  };
}

/**
 * An event of the contract the generator will send: its type and a payload of that
 * type, as a producer writes it (a payload that does not match its type does not
 * compile). Distributed over the event types: `Draft` is any of them,
 * `Draft<'order.item_shipped' | 'order.item_delivered'>` one of those two.
 */
type Draft<T extends EventType = EventType> = T extends EventType
  ? {
      readonly type: T;
      readonly payload: PayloadInputOf<T>;
      /** State change of the expected document, applied only when the event is consumed. */
      readonly apply?: (doc: Record<string, unknown>) => void;
      /** Only an {@link UnknownDraft} is unknown. */
      readonly unknown?: undefined;
    }
  : never;

/** The drafts of one entity type's events: those its topic carries. */
type DraftOf<E extends EntityType> = Draft<Extract<EventType, `${E}.${string}`>>;

/** An event of a type the contract does not list: the worker ignores it, the documents never see it. */
interface UnknownDraft {
  readonly type: string;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly unknown: true;
}

interface Entity {
  readonly type: EntityType;
  readonly id: string;
  readonly collection: keyof ExpectedDocuments;
  readonly docKey: string;
  version: number;
  doc: Record<string, unknown> | null;
  pending: Draft[];
  sent: { version: number; value: string }[];
}

const iso = (d: Date): string => d.toISOString();

/**
 * Generates a reproducible stream of the platform's domain events: entity
 * lifecycles interleaved as producers would write them, with duplicates, stale
 * replays, unknown event types and poison records, plus the documents the
 * projections must end with. Pure: same options, same stream.
 */
export function generateStream(options: StreamOptions): SimulatedStream {
  const random = createRandom(options.seed);
  let clock = (options.start ?? new Date('2026-11-01T08:00:00.000Z')).getTime();
  const tick = (): Date => {
    clock += 1000 + random.int(0, 4000);
    return new Date(clock);
  };
  const expected: ExpectedDocuments = { user_cards: new Map(), feed_items: new Map(), order_summaries: new Map() };
  const entities: Entity[] = [];
  const userIds = Array.from({ length: options.users }, (_, i) => `usr_${options.seed}_${i}`);
  const communities = Array.from({ length: Math.max(3, Math.ceil(options.posts / 20)) }, (_, i) => `com_${i}`);
  const suppliers = Array.from({ length: 8 }, (_, i) => `sup_${i}`);
  const author = (): string => (userIds.length > 0 ? random.pick(userIds) : 'usr_anonymous');

  for (let i = 0; i < options.users; i++) entities.push(userEntity(userIds[i]!, random, tick));
  for (let i = 0; i < options.posts; i++)
    entities.push(
      postEntity(
        `pst_${options.seed}_${i}`,
        random,
        tick,
        author(),
        random.chance(0.8) ? random.pick(communities) : null,
      ),
    );
  for (let i = 0; i < options.promotions; i++)
    entities.push(
      promotionEntity(
        `prm_${options.seed}_${i}`,
        random,
        tick,
        author(),
        random.chance(0.5) ? random.pick(communities) : null,
      ),
    );
  for (let i = 0; i < options.orders; i++)
    entities.push(orderEntity(`ord_${options.seed}_${i}`, i, random, tick, author(), suppliers));

  const records: SimulatedRecord[] = [];
  const stale: SimulatedRecord[] = [];
  // Every reason but handler_error, which only a bug in a projection produces.
  const poisonReasons = DEAD_LETTER_REASONS.filter((r) => r !== 'handler_error');
  let poisonIndex = 0;
  const active = entities.filter((e) => e.pending.length > 0);

  while (active.length > 0) {
    const index = random.int(0, active.length - 1);
    const entity = active[index]!;
    if (random.chance(options.poisonRate)) {
      const reason = poisonReasons[poisonIndex++ % poisonReasons.length]!;
      const poison = poisonRecord(reason, entity, random, tick);
      if (poison) records.push(poison);
    }
    const draft = entity.pending.shift()!;
    const unknown = random.chance(options.unknownTypeRate ?? 0);
    // Out of order: the entity's second event overtakes its *.created (an order's confirmation, which later
    // events need, never does). The worker must dead-letter it as missing_entity and never apply it.
    const overtaking =
      !unknown &&
      draft.type.endsWith('.created') &&
      entity.pending[0] !== undefined &&
      entity.pending[0].type !== 'order.confirmed' &&
      random.chance(options.outOfOrderRate ?? 0)
        ? entity.pending.shift()
        : undefined;
    if (entity.pending.length === 0) active.splice(index, 1);
    if (overtaking) records.push(overtakingRecord(entity, overtaking, tick()));
    const event = emit(
      entity,
      unknown ? { type: `${entity.type}.audited`, payload: { by: 'system' }, unknown: true } : draft,
      tick(),
    );
    // The overtaking event took version 2: the entity's next event is version 3.
    if (overtaking) entity.version += 1;
    records.push(event);
    if (unknown) entity.pending.unshift(draft); // the real event still comes next
    if (random.chance(options.duplicateRate))
      records.push({ ...event, kind: event.kind === 'ignored' ? 'ignored' : 'duplicate' });
    if (entity.sent.length > 1 && random.chance(options.staleRate)) {
      const old = random.pick(entity.sent.slice(0, -1));
      stale.push({
        topic: event.topic,
        key: entity.id,
        value: old.value,
        kind: 'stale',
        eventType: JSON.parse(old.value).event_type as string,
      });
    }
  }
  // Stale replays arrive after the fact, in a random order.
  for (const record of random.shuffle(stale)) records.push(record);

  for (const entity of entities) if (entity.doc) expected[entity.collection].set(entity.docKey, entity.doc);
  return { records, expected, counts: countRecords(records) };

  function emit(entity: Entity, draft: Draft | UnknownDraft, at: Date): SimulatedRecord {
    entity.version += 1;
    const envelope = {
      event_id: `evt_${entity.id}_${entity.version}`,
      event_type: draft.type,
      entity_type: entity.type,
      entity_id: entity.id,
      entity_version: entity.version,
      occurred_at: iso(at),
      schema_version: 1,
      payload: draft.payload,
    };
    const value = JSON.stringify(envelope);
    // Only applied events are replayed later, so every replay is stale for the worker.
    if (!draft.unknown) entity.sent.push({ version: entity.version, value });
    if (!draft.unknown && draft.apply) {
      if (entity.doc === null) entity.doc = {};
      draft.apply(entity.doc);
      Object.assign(entity.doc, { entity_version: entity.version, last_event_id: envelope.event_id, updated_at: at });
    }
    return {
      topic: DOMAIN_TOPICS[entity.type],
      key: entity.id,
      value,
      kind: draft.unknown ? 'ignored' : 'event',
      eventType: draft.type,
    };
  }

  /** The entity's version-2 event, arriving before its version 1: a missing_entity dead letter. */
  function overtakingRecord(entity: Entity, draft: Draft, at: Date): SimulatedRecord {
    const value = JSON.stringify({
      event_id: `evt_${entity.id}_2`,
      event_type: draft.type,
      entity_type: entity.type,
      entity_id: entity.id,
      entity_version: 2,
      occurred_at: iso(at),
      schema_version: 1,
      payload: draft.payload,
    });
    return {
      topic: DOMAIN_TOPICS[entity.type],
      key: entity.id,
      value,
      kind: 'poison',
      eventType: draft.type,
      expectedReason: 'missing_entity',
    };
  }

  function poisonRecord(
    reason: DeadLetterReason,
    entity: Entity,
    rnd: Random,
    clockTick: () => Date,
  ): SimulatedRecord | undefined {
    const topic = DOMAIN_TOPICS[entity.type];
    const base = {
      event_id: `poison_${records.length}`,
      entity_type: entity.type,
      entity_id: entity.id,
      entity_version: 1,
      occurred_at: iso(clockTick()),
      schema_version: 1,
    };
    const poison = (value: unknown, key: string | null = entity.id): SimulatedRecord => ({
      topic,
      key,
      value: typeof value === 'string' ? value : JSON.stringify(value),
      kind: 'poison',
      expectedReason: reason,
    });
    switch (reason) {
      case 'invalid_json':
        return poison(rnd.chance(0.5) ? '{"event_id": "truncated' : 'not json at all');
      case 'invalid_envelope':
        return rnd.chance(0.5)
          ? poison({ ...base, event_type: `${entity.type}.created`, payload: {} }, null)
          : poison({ ...base, event_type: `${entity.type}.created`, entity_version: 0, payload: {} });
      case 'invalid_payload':
        return poison({ ...base, event_type: `${entity.type}.created`, payload: { created_at: 'not a date' } });
      case 'topic_mismatch':
        return poison({
          ...base,
          entity_type: entity.type === 'user' ? 'order' : 'user',
          event_type: entity.type === 'user' ? 'order.cancelled' : 'user.verified',
          payload: {},
        });
      case 'unsupported_schema_version':
        return poison({ ...base, event_type: `${entity.type}.created`, schema_version: 2, payload: {} });
      case 'missing_entity': {
        // A well-formed event of an entity nobody created: its own id, so it never touches another document.
        const ghost = `${entity.id}_ghost_${records.length}`;
        const ghostEvents: { readonly [E in EntityType]: DraftOf<E> } = {
          user: { type: 'user.verified', payload: { verified_at: iso(clockTick()) } },
          post: { type: 'post.published', payload: { published_at: iso(clockTick()) } },
          promotion: { type: 'promotion.ended', payload: { ended_at: iso(clockTick()) } },
          order: { type: 'order.payment_succeeded', payload: { paid_at: iso(clockTick()) } },
        };
        const { type: eventType, payload } = ghostEvents[entity.type];
        return poison({ ...base, entity_id: ghost, entity_version: 2, event_type: eventType, payload }, ghost);
      }
      case 'unknown_item': {
        // Only an order with items can have an unknown one; the event takes the order's next version.
        if (entity.type !== 'order' || !entity.doc || (entity.doc['items'] as unknown[]).length === 0) return undefined;
        entity.version += 1;
        const value = {
          ...base,
          event_id: `poison_item_${entity.id}_${entity.version}`,
          entity_version: entity.version,
          event_type: 'order.item_shipped',
          payload: {
            item_id: 'itm_does_not_exist',
            shipped_at: iso(clockTick()),
          } satisfies PayloadInputOf<'order.item_shipped'>,
        };
        return poison(value);
      }
      default:
        return undefined;
    }
  }
}

function countRecords(records: readonly SimulatedRecord[]): SimulatedStream['counts'] {
  const byKind: Record<RecordKind, number> = { event: 0, duplicate: 0, stale: 0, ignored: 0, poison: 0 };
  const byEventType: Record<string, number> = {};
  const byTopic: Record<string, number> = {};
  for (const r of records) {
    byKind[r.kind]++;
    byTopic[r.topic] = (byTopic[r.topic] ?? 0) + 1;
    if (r.kind === 'event' && r.eventType) byEventType[r.eventType] = (byEventType[r.eventType] ?? 0) + 1;
  }
  return { byKind, byEventType, byTopic };
}

function newEntity(type: EntityType, id: string, collection: keyof ExpectedDocuments, docKey: string): Entity {
  return { type, id, collection, docKey, version: 0, doc: null, pending: [], sent: [] };
}

function userEntity(id: string, random: Random, tick: () => Date): Entity {
  const e = newEntity('user', id, 'user_cards', id);
  const createdAt = tick();
  const role = random.pick(USER_ROLES);
  const avatar = random.chance(0.6) ? `https://cdn.example/avatars/${id}.png` : null;
  const displayName = `User ${id.split('_').at(-1)}`;
  e.pending.push({
    type: 'user.created',
    payload: {
      display_name: displayName,
      ...(avatar ? { avatar_url: avatar } : {}),
      bio: null,
      role,
      created_at: iso(createdAt),
    },
    apply: (d) =>
      Object.assign(d, {
        user_id: id,
        display_name: displayName,
        avatar_url: avatar,
        bio: null,
        role,
        status: 'pending',
        verified_at: null,
        follower_count: 0,
        following_count: 0,
        total_orders: 0,
        communities_joined: 0,
        created_at: createdAt,
      }),
  });
  if (random.chance(0.8)) {
    const at = tick();
    e.pending.push({
      type: 'user.verified',
      payload: { verified_at: iso(at) },
      apply: (d) => Object.assign(d, { status: d['status'] === 'suspended' ? 'suspended' : 'active', verified_at: at }),
    });
  }
  for (let i = random.int(0, 3); i > 0; i--) {
    const stats = { follower_count: random.int(0, 5000), following_count: random.int(0, 300) };
    const partial = random.chance(0.3)
      ? { total_orders: random.int(0, 40) }
      : { communities_joined: random.int(0, 12) };
    e.pending.push({
      type: 'user.stats_changed',
      payload: { ...stats, ...partial },
      apply: (d) => Object.assign(d, stats, partial),
    });
  }
  if (random.chance(0.3)) {
    const bio = random.chance(0.8) ? `Bio ${random.int(1, 999)}` : null;
    e.pending.push({ type: 'user.profile_updated', payload: { bio }, apply: (d) => Object.assign(d, { bio }) });
  }
  if (random.chance(0.15)) {
    const newRole = random.pick(USER_ROLES);
    e.pending.push({
      type: 'user.role_changed',
      payload: { role: newRole },
      apply: (d) => Object.assign(d, { role: newRole }),
    });
  }
  if (random.chance(0.08)) {
    e.pending.push({
      type: 'user.suspended',
      payload: { reason: 'spam', suspended_at: iso(tick()) },
      apply: (d) => Object.assign(d, { status: 'suspended' }),
    });
    if (random.chance(0.5))
      e.pending.push({
        type: 'user.reactivated',
        payload: { reactivated_at: iso(tick()) },
        apply: (d) => Object.assign(d, { status: 'active' }),
      });
  }
  if (random.chance(0.05)) {
    const at = tick();
    e.pending.push({
      type: 'user.verified',
      payload: { verified_at: iso(at) },
      apply: (d) => Object.assign(d, { status: d['status'] === 'suspended' ? 'suspended' : 'active', verified_at: at }),
    });
  }
  return e;
}

const NEW_ITEM = {
  is_pinned: false,
  status: 'draft',
  published_at: null,
  view_count: 0,
  like_count: 0,
  comment_count: 0,
};

function postEntity(
  id: string,
  random: Random,
  tick: () => Date,
  authorId: string,
  communityId: string | null,
): Entity {
  const e = newEntity('post', id, 'feed_items', `${id}|post`);
  const createdAt = tick();
  const contentType = random.pick(POST_CONTENT_TYPES);
  e.pending.push({
    type: 'post.created',
    payload: { author_id: authorId, community_id: communityId, content_type: contentType, created_at: iso(createdAt) },
    apply: (d) =>
      Object.assign(d, {
        ...NEW_ITEM,
        item_type: 'post',
        source_id: id,
        author_id: authorId,
        community_id: communityId,
        content_type: contentType,
        is_global: false,
        created_at: createdAt,
      }),
  });
  if (random.chance(0.85)) {
    const at = tick();
    e.pending.push({
      type: 'post.published',
      payload: { published_at: iso(at) },
      apply: (d) => Object.assign(d, { status: 'published', published_at: at }),
    });
    if (random.chance(0.25))
      e.pending.push({
        type: 'post.global_approved',
        payload: { approved_at: iso(tick()) },
        apply: (d) => Object.assign(d, { is_global: true }),
      });
    if (random.chance(0.15)) {
      e.pending.push({
        type: 'post.pinned',
        payload: { pinned_at: iso(tick()) },
        apply: (d) => Object.assign(d, { is_pinned: true }),
      });
      if (random.chance(0.4))
        e.pending.push({
          type: 'post.unpinned',
          payload: { unpinned_at: iso(tick()) },
          apply: (d) => Object.assign(d, { is_pinned: false }),
        });
    }
    for (let i = random.int(0, 4); i > 0; i--) {
      const stats = random.chance(0.7)
        ? { view_count: random.int(0, 100000), like_count: random.int(0, 5000) }
        : { comment_count: random.int(0, 300) };
      e.pending.push({ type: 'post.stats_changed', payload: stats, apply: (d) => Object.assign(d, stats) });
    }
  }
  const ending = random.next();
  if (ending < 0.05)
    e.pending.push({
      type: 'post.hidden',
      payload: { reason: 'reported' },
      apply: (d) => Object.assign(d, { status: 'hidden' }),
    });
  else if (ending < 0.1)
    e.pending.push({
      type: 'post.deleted',
      payload: { deleted_at: iso(tick()) },
      apply: (d) => Object.assign(d, { status: 'deleted' }),
    });
  return e;
}

function promotionEntity(
  id: string,
  random: Random,
  tick: () => Date,
  authorId: string,
  communityId: string | null,
): Entity {
  const e = newEntity('promotion', id, 'feed_items', `${id}|promotion`);
  const createdAt = tick();
  const isGlobal = random.chance(0.3);
  e.pending.push({
    type: 'promotion.created',
    payload: { author_id: authorId, community_id: communityId, is_global: isGlobal, created_at: iso(createdAt) },
    apply: (d) =>
      Object.assign(d, {
        ...NEW_ITEM,
        item_type: 'promotion',
        source_id: id,
        author_id: authorId,
        community_id: communityId,
        content_type: 'promotion',
        is_global: isGlobal,
        created_at: createdAt,
      }),
  });
  if (random.chance(0.9)) {
    const at = tick();
    e.pending.push({
      type: 'promotion.activated',
      payload: { activated_at: iso(at) },
      apply: (d) => Object.assign(d, { status: 'published', published_at: d['published_at'] ?? at }),
    });
    if (random.chance(0.5)) {
      e.pending.push({
        type: 'promotion.ended',
        payload: { ended_at: iso(tick()) },
        apply: (d) => Object.assign(d, { status: 'hidden' }),
      });
      if (random.chance(0.3)) {
        const again = tick();
        e.pending.push({
          type: 'promotion.activated',
          payload: { activated_at: iso(again) },
          apply: (d) => Object.assign(d, { status: 'published', published_at: d['published_at'] ?? again }),
        });
      }
    }
  }
  return e;
}

function orderEntity(
  id: string,
  n: number,
  random: Random,
  tick: () => Date,
  customerId: string,
  suppliers: readonly string[],
): Entity {
  const e = newEntity('order', id, 'order_summaries', id);
  const createdAt = tick();
  const orderNumber = `SC-${100000 + n}`;
  const currency = random.pick(['EUR', 'USD', 'GBP']);
  const estimate = random.int(500, 50000);
  e.pending.push({
    type: 'order.created',
    payload: {
      order_number: orderNumber,
      customer_id: customerId,
      currency,
      total_cents: estimate,
      item_count: 1,
      created_at: iso(createdAt),
    },
    apply: (d) =>
      Object.assign(d, {
        order_id: id,
        order_number: orderNumber,
        customer_id: customerId,
        item_count: 1,
        total_cents: estimate,
        currency,
        status: 'pending',
        payment_status: 'pending',
        items: [],
        promotion_id: null,
        community_id: null,
        confirmed_at: null,
        shipped_at: null,
        delivered_at: null,
        cancelled_at: null,
        created_at: createdAt,
      }),
  });
  const status = (s: (typeof ORDER_STATUSES)[number]): Draft<'order.status_changed'> => ({
    type: 'order.status_changed',
    payload: { status: s },
    apply: (d) => Object.assign(d, { status: s }),
  });
  if (random.chance(0.3)) {
    const attribution = random.chance(0.5)
      ? { promotion_id: `prm_${random.int(0, 99)}` }
      : { promotion_id: `prm_${random.int(0, 99)}`, community_id: `com_${random.int(0, 9)}` };
    e.pending.push({
      type: 'order.attribution_recorded',
      payload: attribution,
      apply: (d) => Object.assign(d, attribution),
    });
  }
  if (random.chance(0.12)) {
    e.pending.push({
      type: 'order.payment_failed',
      payload: { reason: 'card declined', failed_at: iso(tick()) },
      apply: (d) => Object.assign(d, { payment_status: 'failed' }),
    });
    const at = tick();
    e.pending.push({
      type: 'order.cancelled',
      payload: { cancelled_at: iso(at) },
      apply: (d) => Object.assign(d, { status: 'cancelled', cancelled_at: at }),
    });
    return e;
  }
  e.pending.push({
    type: 'order.payment_succeeded',
    payload: { paid_at: iso(tick()) },
    apply: (d) => Object.assign(d, { payment_status: 'paid' }),
  });
  const items = Array.from({ length: random.int(1, 4) }, (_, i) => ({
    item_id: `itm_${i + 1}`,
    product_id: `prd_${random.int(1, 500)}`,
    supplier_id: random.pick(suppliers),
    title: `Product ${random.int(1, 500)}`,
    quantity: random.int(1, 3),
    unit_price_cents: random.int(199, 9999),
  }));
  const confirmedAt = tick();
  e.pending.push({
    type: 'order.confirmed',
    payload: { confirmed_at: iso(confirmedAt), items },
    apply: (d) =>
      Object.assign(d, {
        confirmed_at: confirmedAt,
        items: items.map((i) => ({ ...i, status: 'pending', shipped_at: null, delivered_at: null })),
        item_count: items.reduce((s, i) => s + i.quantity, 0),
        total_cents: items.reduce((s, i) => s + i.quantity * i.unit_price_cents, 0),
      }),
  });
  e.pending.push(status('confirmed'));
  if (random.chance(0.07)) {
    const at = tick();
    e.pending.push({
      type: 'order.cancelled',
      payload: { reason: 'changed mind', cancelled_at: iso(at) },
      apply: (d) => Object.assign(d, { status: 'cancelled', cancelled_at: at }),
    });
    return e;
  }
  e.pending.push(status('processing'));
  const itemEvent = (
    type: 'order.item_shipped' | 'order.item_delivered',
    itemId: string,
  ): Draft<'order.item_shipped' | 'order.item_delivered'> => {
    const at = tick();
    const field = type === 'order.item_shipped' ? 'shipped_at' : 'delivered_at';
    const apply = (d: Record<string, unknown>): void => {
      const list = (d['items'] as Record<string, unknown>[]).map((i) =>
        i['item_id'] === itemId
          ? { ...i, status: type === 'order.item_shipped' ? 'shipped' : 'delivered', [field]: at }
          : i,
      );
      d['items'] = list;
      const done =
        type === 'order.item_shipped'
          ? list.every((i) => i['status'] !== 'pending')
          : list.every((i) => i['status'] === 'delivered');
      if (done) d[field] = new Date(Math.max(...list.map((i) => (i[field] as Date | null)?.getTime() ?? 0)));
    };
    return type === 'order.item_shipped'
      ? { type, payload: { item_id: itemId, shipped_at: iso(at) }, apply }
      : { type, payload: { item_id: itemId, delivered_at: iso(at) }, apply };
  };
  const shipCount = random.chance(0.8) ? items.length : random.int(0, items.length - 1);
  for (const item of items.slice(0, shipCount)) e.pending.push(itemEvent('order.item_shipped', item.item_id));
  if (shipCount === items.length) {
    e.pending.push(status('shipped'));
    const deliverCount = random.chance(0.7) ? items.length : random.int(0, items.length - 1);
    for (const item of items.slice(0, deliverCount)) e.pending.push(itemEvent('order.item_delivered', item.item_id));
    if (deliverCount === items.length) e.pending.push(status('delivered'));
  }
  return e;
}
