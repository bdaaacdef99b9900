import { AssignerProtocol } from 'kafkajs';
import type { GroupDescription, PartitionAssigner } from 'kafkajs';
import { CONSUMER_RESTART_MESSAGE, sumMetricSamples as metricValue } from '@sc/kafka-runtime';
import {
  DEFAULT_STREAM,
  createEndToEndWorld,
  eventually,
  expectedDocumentsOf,
  startFaultProxy,
  startWorkerProcess,
} from '@sc/testing';
import type { EndToEndWorld, WorkerProcess } from '@sc/testing';
import { USER_CARDS_WORKER } from '@sc/read-models';

const target = USER_CARDS_WORKER;

/** The worker group of a world, as Kafka describes it. */
async function describeGroup(w: EndToEndWorld): Promise<GroupDescription> {
  const groupId = `${w.prefix}${target.group}`;
  const { groups } = await w.admin.describeGroups([groupId]);
  const group = groups.find((g) => g.groupId === groupId);
  if (group === undefined) throw new Error(`Kafka does not describe the group ${groupId}`);
  return group;
}

/**
 * The partitions each instance owns, by its client id (KAFKA_CLIENT_ID), decoded from
 * the member assignments Kafka holds for the group: none while the group rebalances
 * (Kafka gives assignments of a stable group only).
 */
async function assignments(w: EndToEndWorld): Promise<Map<string, number[]>> {
  const group = await describeGroup(w);
  const owned = new Map<string, number[]>();
  if (group.state !== 'Stable') return owned;
  for (const member of group.members) {
    const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
    const partitions = Object.values(decoded?.assignment ?? {}).flat();
    owned.set(member.clientId, [...(owned.get(member.clientId) ?? []), ...partitions]);
  }
  return owned;
}

/** An assignor of another name than kafkajs's: its member shares no protocol with the worker, and is given nothing. */
const intruderAssigner: PartitionAssigner = () => ({
  name: 'IntruderAssigner',
  version: 1,
  async assign({ members }) {
    return members.map((m) => ({
      memberId: m.memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 1,
        assignment: {},
        userData: Buffer.alloc(0),
      }),
    }));
  },
  protocol({ topics }) {
    return {
      name: 'IntruderAssigner',
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    };
  },
});

describe('user-cards-worker (built bundle, real Kafka and MongoDB)', () => {
  const workers: WorkerProcess[] = [];
  const worlds: EndToEndWorld[] = [];
  const start = (world: EndToEndWorld, env: Record<string, string> = {}) => {
    const worker = startWorkerProcess(target.app, { ...world.env, ...env });
    workers.push(worker);
    return worker;
  };
  const world = async (seed: number, users: number) => {
    const w = await createEndToEndWorld(target, { seed, ...DEFAULT_STREAM, users, posts: 0, promotions: 0, orders: 0 });
    worlds.push(w);
    return w;
  };
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop('SIGKILL')));
    await Promise.all(worlds.splice(0).map((w) => w.close()));
  });

  it('projects ~10,000 events over 6 partitions with duplicates, stale replays and poison: exact documents, exact dead letters, offsets at the end, metrics', async () => {
    const w = await world(101, 2500);
    expect(w.records.length).toBeGreaterThan(10_000);
    await w.produce(w.records);
    const worker = start(w);
    await w.waitForLagZero(240_000);
    await w.expectExactDocuments();
    await w.expectPoisonDeadLettered({ exactlyOnce: true });

    const { status, body } = await worker.get('/metrics');
    expect(status).toBe(200);
    const count = (kind: string) => w.records.filter((r) => r.kind === kind).length;
    expect(metricValue(body, 'sc_projection_events_total', { outcome: 'applied' })).toBe(count('event'));
    expect(metricValue(body, 'sc_projection_events_total', { outcome: 'stale' })).toBe(
      count('duplicate') + count('stale'),
    );
    expect(metricValue(body, 'sc_projection_events_total', { outcome: 'ignored' })).toBe(count('ignored'));
    expect(metricValue(body, 'sc_projection_events_total', { outcome: 'dead_lettered' })).toBe(count('poison'));
    expect(metricValue(body, 'sc_projection_events_total', { event_type: 'user.created', outcome: 'applied' })).toBe(
      2500,
    );
    expect(metricValue(body, 'sc_projection_records_consumed_total')).toBe(w.records.length);
    expect(metricValue(body, 'sc_projection_consumer_lag')).toBe(0);
    expect(metricValue(body, 'sc_projection_store_commands_total')).toBeGreaterThan(0);
    expect(metricValue(body, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect((await worker.get('/readyz')).status).toBe(200);
    expect((await worker.get('/livez')).status).toBe(200);

    // The design's indexes, with their order and uniqueness.
    await w.expectDeclaredIndexes(target.projection.indexes);

    // Queries the indexes serve: users by status (newest first), by role, top users by followers.
    const expected = [...expectedDocumentsOf(target, w.stream).values()];
    const byStatus = await w.db
      .collection('user_cards')
      .find({ status: 'active' }, { projection: { _id: 0, user_id: 1 } })
      .sort({ created_at: -1, user_id: 1 })
      .limit(10)
      .toArray();
    const expectedByStatus = expected
      .filter((d) => d['status'] === 'active')
      .sort(
        (a, b) =>
          (b['created_at'] as Date).getTime() - (a['created_at'] as Date).getTime() ||
          String(a['user_id']).localeCompare(String(b['user_id'])),
      )
      .slice(0, 10)
      .map((d) => d['user_id']);
    expect(byStatus.map((d) => d['user_id'])).toEqual(expectedByStatus);
    const top = await w.db
      .collection('user_cards')
      .find({}, { projection: { _id: 0, user_id: 1, follower_count: 1 } })
      .sort({ follower_count: -1, user_id: 1 })
      .limit(5)
      .toArray();
    const expectedTop = expected
      .sort(
        (a, b) =>
          Number(b['follower_count']) - Number(a['follower_count']) ||
          String(a['user_id']).localeCompare(String(b['user_id'])),
      )
      .slice(0, 5);
    expect(top.map((d) => d['user_id'])).toEqual(expectedTop.map((d) => d['user_id']));
    const creators = await w.db.collection('user_cards').countDocuments({ role: 'creator' });
    expect(creators).toBe(expected.filter((d) => d['role'] === 'creator').length);

    expect(await worker.stop('SIGTERM')).toBe(0);
    // A clean stop leaves the group before the process exits (a killed member stays until its session times out).
    expect((await describeGroup(w)).members).toEqual([]);
  });

  it('ends exact after SIGKILL mid-batch and a restart (re-delivery absorbed by versions)', async () => {
    const w = await world(202, 3000);
    await w.produce(w.records);
    const first = start(w, { MAX_EVENTS_PER_WRITE: '50' });
    await eventually('some progress', async () => (await w.db.collection('user_cards').estimatedDocumentCount()) > 100);
    expect(await w.lag()).toBeGreaterThan(0);
    expect(await first.stop('SIGKILL')).toBe('SIGKILL');
    start(w);
    await w.waitForLagZero(180_000);
    await w.expectExactDocuments();
    await w.expectPoisonDeadLettered({ exactlyOnce: false });
  });

  it('stops on SIGTERM mid-run with exit 0, commits what it applied, and a restart finishes with nothing lost', async () => {
    const w = await world(303, 1500);
    await w.produce(w.records);
    const first = start(w, { MAX_EVENTS_PER_WRITE: '50' });
    await eventually('some progress', async () => (await w.db.collection('user_cards').estimatedDocumentCount()) > 100);
    expect(await first.stop('SIGTERM')).toBe(0);
    start(w);
    await w.waitForLagZero(180_000);
    await w.expectExactDocuments();
    await w.expectPoisonDeadLettered({ exactlyOnce: true });
  });

  it('waits out a MongoDB outage: readiness goes false and back, nothing is dead-lettered for it, nothing is lost', async () => {
    const w = await world(404, 600);
    const mongo = new URL(process.env['MONGO_URL']!);
    const proxy = await startFaultProxy(mongo.hostname, Number(mongo.port || 27017));
    const half = Math.floor(w.records.length / 2);
    await w.produce(w.records.slice(0, half));
    const worker = start(w, { MONGO_URL: `mongodb://127.0.0.1:${proxy.port}` });
    await w.waitForLagZero();
    expect((await worker.get('/readyz')).status).toBe(200);

    proxy.pause();
    await w.produce(w.records.slice(half));
    await eventually(
      'readiness false during the outage',
      async () => (await worker.get('/readyz')).status === 503,
      60_000,
    );
    expect((await worker.get('/readyz')).body).toMatch(/store/);
    await eventually(
      'a retry of the write',
      async () =>
        metricValue((await worker.get('/metrics')).body, 'sc_projection_retries_total', {
          operation: 'write to store',
        }) > 0,
      60_000,
    );
    expect(await w.lag()).toBeGreaterThan(0);

    proxy.resume();
    await w.waitForLagZero();
    await eventually('readiness back', async () => (await worker.get('/readyz')).status === 200, 30_000);
    await w.expectExactDocuments();
    await w.expectPoisonDeadLettered({ exactlyOnce: true });
    expect(
      metricValue((await worker.get('/metrics')).body, 'sc_projection_retries_total', { operation: 'write to store' }),
    ).toBeGreaterThan(0);
    await proxy.close();
  });

  it('waits for missing topics without crashing, not ready, and consumes once they exist', async () => {
    const w = await createEndToEndWorld(
      target,
      { seed: 606, ...DEFAULT_STREAM, users: 100, posts: 0, promotions: 0, orders: 0 },
      { createTopicsNow: false },
    );
    worlds.push(w);
    const worker = start(w);
    await eventually(
      'readiness reports the missing topics',
      async () => (await worker.get('/readyz')).body.includes('missing topics'),
      60_000,
    );
    // The operator is told which topics are missing, at level error.
    expect(worker.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        topics: [...target.topics.map((t) => `${w.prefix}${t}`), w.deadLetterTopic],
      }),
    );
    expect(worker.child.exitCode).toBeNull();
    await w.createTopics();
    await w.produce(w.records);
    await w.waitForLagZero();
    await w.expectExactDocuments();
    expect((await worker.get('/readyz')).status).toBe(200);
  });

  it('rides out a crash kafkajs does not restart (its join refused as a non-retriable error): not ready, alive, consuming once the cause goes', async () => {
    const w = await world(707, 300);
    await w.produce(w.records);
    // A member of the group with an assignment protocol the worker does not share: Kafka
    // refuses the worker's join with INCONSISTENT_GROUP_PROTOCOL, which kafkajs flags
    // non-retriable and, left alone, never restarts from.
    const intruder = w.kafka.consumer({
      groupId: `${w.prefix}${target.group}`,
      partitionAssigners: [intruderAssigner],
    });
    await intruder.connect();
    await intruder.subscribe({ topics: target.topics.map((t) => `${w.prefix}${t}`) });
    await intruder.run({ eachMessage: async () => undefined });
    const worker = start(w);
    try {
      await eventually(
        'readiness says the consumer is restarting after a crash',
        async () => (await worker.get('/readyz')).body.includes('consumer restarting after a crash'),
        60_000,
      );
      expect(worker.logs).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          msg: CONSUMER_RESTART_MESSAGE,
        }),
      );
      expect((await worker.get('/livez')).status).toBe(200);
      expect(worker.child.exitCode).toBeNull();
    } finally {
      await intruder.disconnect();
    }
    await w.waitForLagZero();
    await w.expectExactDocuments();
    await w.expectPoisonDeadLettered({ exactlyOnce: true });
    expect(metricValue((await worker.get('/metrics')).body, 'sc_projection_consumer_restarts_total')).toBeGreaterThan(
      0,
    );
    expect(worker.child.exitCode).toBeNull();
  });

  it('shares the partitions between two instances, and moves them when one stops', async () => {
    const w = await world(505, 800);
    const a = start(w, { KAFKA_CLIENT_ID: 'instance-a' });
    start(w, { KAFKA_CLIENT_ID: 'instance-b' });
    let owned = new Map<string, number[]>();
    const of = (instance: string) => owned.get(instance) ?? [];
    await eventually(
      'both instances assigned',
      async () => {
        owned = await assignments(w);
        return of('instance-a').length > 0 && of('instance-b').length > 0 && owned.size === 2;
      },
      60_000,
    );
    expect(of('instance-a').length + of('instance-b').length).toBe(6);
    expect(new Set([...of('instance-a'), ...of('instance-b')])).toEqual(new Set([0, 1, 2, 3, 4, 5]));
    const half = Math.floor(w.records.length / 2);
    await w.produce(w.records.slice(0, half));
    await w.waitForLagZero();
    expect(await a.stop('SIGTERM')).toBe(0);
    await eventually(
      'the survivor owns every partition',
      async () => {
        owned = await assignments(w);
        return owned.size === 1 && of('instance-b').length === 6;
      },
      60_000,
    );
    await w.produce(w.records.slice(half));
    await w.waitForLagZero();
    await w.expectExactDocuments();
    await w.expectPoisonDeadLettered({ exactlyOnce: true });
  });

  it('loses and double-applies nothing when a rebalance comes mid-batch (an instance joins, then one leaves)', async () => {
    const w = await world(606, 1500);
    await w.produce(w.records);
    const a = start(w, { MAX_EVENTS_PER_WRITE: '50', KAFKA_CLIENT_ID: 'instance-a' });
    await eventually('some progress', async () => (await w.db.collection('user_cards').estimatedDocumentCount()) > 50);
    start(w, { MAX_EVENTS_PER_WRITE: '50', KAFKA_CLIENT_ID: 'instance-b' });
    const partitionsOf = async (instance: string) => (await assignments(w)).get(instance) ?? [];
    await eventually('the newcomer got partitions', async () => (await partitionsOf('instance-b')).length > 0, 60_000);
    expect(await a.stop('SIGTERM')).toBe(0);
    await eventually(
      'the remaining instance owns every partition',
      async () => (await partitionsOf('instance-b')).length === 6,
      60_000,
    );
    await w.waitForLagZero(180_000);
    await w.expectExactDocuments();
    // A chunk whose partition was revoked after its dead letters were sent is re-delivered: at least once.
    await w.expectPoisonDeadLettered({ exactlyOnce: false });
  });
});
