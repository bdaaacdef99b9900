import type { DomainEvent } from '@sc/event-schemas';
import { DEAD_LETTER_HEADERS } from '@sc/event-schemas';
import { createProjectionWorker, loadWorkerConfig } from '@sc/kafka-runtime';
import type { ProjectionWorker } from '@sc/kafka-runtime';
import { loadMongoStoreConfig, mongoSinkAdapter } from '@sc/mongo-store';
import type { ProjectionDefinition, VersionStamp } from '@sc/projection-core';
import { USER_CARDS_WORKER, userCardsProjection } from '@sc/read-models';
import { createLogger } from '@sc/service-kit';
import { domainRecord, eventually, readTopic } from '@sc/testing';
import type { EndToEndWorld } from '@sc/testing';
import { loadOpsConfig, openOpsContext } from '../src/context';
import { replayDeadLetters } from '../src/dlq';
import { runOpsForTest } from './ops-run';
import { createUserRecordsWorld, produceUserRecords, userCreated, userVerified } from './user-records';

type AnyProjection = ProjectionDefinition<DomainEvent, VersionStamp>;

/** The user-cards rules with a bug: `user.verified` throws for the users `broken` names. */
function withBrokenVerified(broken: (userId: string) => boolean): AnyProjection {
  const real = userCardsProjection as unknown as AnyProjection;
  return {
    ...real,
    evolve(doc, event) {
      if (event.event_type === 'user.verified' && broken((event as { entity_id: string }).entity_id))
        throw new Error(`rule bug: cannot verify ${(event as { entity_id: string }).entity_id}`);
      return real.evolve(doc, event);
    },
  };
}

// A worker with a rule that fails for `user.verified` dead-letters those events as
// handler_error; after the "fix" (the real rule), `dlq replay` applies them, interrupted
// by --max-records and resumed, never applying one twice.
describe('ops dlq against the real broker and store', () => {
  let world: EndToEndWorld;
  let worker: ProjectionWorker | undefined;
  const lastVerified = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6']; // verified is their last event: a replay applies it
  const overtaken = ['b1', 'b2']; // a newer event follows verified: a replay finds it stale
  const collection = () => world.db.collection(USER_CARDS_WORKER.projection.collection);
  const env = () => world.env;

  beforeAll(async () => {
    // One partition of dead letters: their order, and so where --max-records cuts, is known.
    world = await createUserRecordsWorld(1, 3);
    const stats = (id: string, v: number) => domainRecord('user.stats_changed', id, v, { follower_count: 5 });
    await produceUserRecords(world, [
      ...lastVerified.flatMap((id) => [userCreated(id), stats(id, 2), userVerified(id, 3)]),
      ...overtaken.flatMap((id) => [userCreated(id), userVerified(id, 2), stats(id, 3)]),
    ]);

    const workerEnv = { ...process.env, ...world.env, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', RETRY_MAX_MS: '1000' };
    const logger = createLogger({ name: 'broken-worker', level: 'silent' });
    const adapter = mongoSinkAdapter(withBrokenVerified(() => true));
    worker = createProjectionWorker({
      config: loadWorkerConfig(workerEnv, { app: USER_CARDS_WORKER.app, httpPort: 0 }),
      logger,
      projection: 'user_cards',
      group: USER_CARDS_WORKER.group,
      topics: USER_CARDS_WORKER.topics,
      openSink: ({ registry }) =>
        adapter.open(loadMongoStoreConfig(workerEnv), { app: USER_CARDS_WORKER.app, logger, registry }),
    });
    await worker.start();
    await world.waitForLagZero();
    await eventually('8 dead letters', async () => (await readTopic(world.kafka, world.deadLetterTopic)).length === 8);
    await worker.stop();
    worker = undefined;
  });

  afterAll(async () => {
    await worker?.stop();
    await world?.close();
  });

  it('lists the dead letters by reason and event type, and shows them with headers and payloads', async () => {
    const list = await runOpsForTest(['dlq', 'list', 'user_cards', '--json'], env());
    expect(list.code).toBe(0);
    expect(list.json).toMatchObject({
      total: 8,
      groups: [{ reason: 'handler_error', eventType: 'user.verified', count: 8, maxAttempt: 1 }],
    });
    const text = await runOpsForTest(['dlq', 'list', 'user_cards'], env());
    expect(text.stdout).toMatch(/^handler_error\s+user\.verified\s+8\s+1\s+\d{4}-/m);

    const show = await runOpsForTest(
      ['dlq', 'show', 'user_cards', '--reason', 'handler_error', '--limit', '2', '--json'],
      env(),
    );
    expect(show.code).toBe(0);
    expect(show.json).toMatchObject({ matching: 8 });
    const shown = show.json['records'] as Record<string, unknown>[];
    expect(shown).toHaveLength(2);
    for (const r of shown) {
      expect(r).toMatchObject({ reason: 'handler_error', eventType: 'user.verified', attempt: 1 });
      expect(String(r['detail'])).toMatch(/evolve threw: rule bug: cannot verify/);
      expect(r['payload']).toMatchObject({ event_type: 'user.verified', entity_id: r['key'] });
    }
    const none = await runOpsForTest(['dlq', 'show', 'user_cards', '--reason', 'missing_entity'], env());
    expect(none.stdout).toMatch(/0 dead letters with reason missing_entity/);
  });

  it('replays handler_error dead letters after the fix: interrupted, resumed, none applied twice', async () => {
    const before = await readTopic(world.kafka, world.deadLetterTopic);
    const firstEntity = before[0]!.key!.toString();
    const origin = (h: Record<string, string>) =>
      `${h[DEAD_LETTER_HEADERS.originalTopic]}/${h[DEAD_LETTER_HEADERS.originalPartition]}@${h[DEAD_LETTER_HEADERS.originalOffset]}`;
    const allOrigins = before.map((l) => origin(l.headers)).sort();

    // A first replay with a fix that still fails for one user, stopped after 4 dead letters.
    const ops = await openOpsContext(loadOpsConfig({ ...process.env, ...env() }), {});
    const selection = { reason: 'handler_error' as const, eventType: 'user.verified', since: undefined };
    const first = await replayDeadLetters(ops, USER_CARDS_WORKER, {
      selection,
      maxRecords: 4,
      projection: withBrokenVerified((id) => id === firstEntity),
    }).finally(() => ops.close());
    expect(first).toMatchObject({ selected: 4, read: 4, failedAgain: 1, stoppedAtLimit: true });
    expect(first.records[0]).toMatchObject({ outcome: 'failed_again' });

    // Written back: same record and origin, x-attempt 2.
    const written = (await readTopic(world.kafka, world.deadLetterTopic)).slice(8);
    expect(written).toHaveLength(1);
    expect(written[0]!.headers).toMatchObject({
      [DEAD_LETTER_HEADERS.reason]: 'handler_error',
      [DEAD_LETTER_HEADERS.attempt]: '2',
      [DEAD_LETTER_HEADERS.originalOffset]: before[0]!.headers[DEAD_LETTER_HEADERS.originalOffset],
    });
    expect(written[0]!.value?.toString()).toBe(before[0]!.value?.toString());

    // The same replay with the real rule resumes after the 4: the other 4, and the one written back.
    const second = await runOpsForTest(
      ['dlq', 'replay', 'user_cards', '--reason', 'handler_error', '--event-type', 'user.verified', '--json'],
      env(),
    );
    expect(second.code).toBe(0);
    expect(second.json).toMatchObject({ selected: 5, read: 5, failedAgain: 0, stoppedAtLimit: false });
    const secondRecords = second.json['records'] as { origin: string; outcome: string }[];
    const firstOrigins = first.records.map((r) => r.origin);
    // Nothing the first run replayed comes again, except the one it wrote back.
    expect(secondRecords.filter((r) => firstOrigins.includes(r.origin)).map((r) => r.origin)).toEqual([
      first.records[0]!.origin,
    ]);
    expect([...new Set([...firstOrigins, ...secondRecords.map((r) => r.origin)])].sort()).toEqual(allOrigins);
    const applied = [...first.records, ...secondRecords].filter((r) => r.outcome === 'applied').map((r) => r.origin);
    expect(new Set(applied).size).toBe(applied.length);
    expect(applied).toHaveLength(lastVerified.length);

    // The version rule: verified as their last event, applied; overtaken by a newer event, stale.
    for (const id of lastVerified)
      expect(await collection().findOne({ user_id: id })).toMatchObject({ status: 'active', entity_version: 3 });
    for (const id of overtaken)
      expect(await collection().findOne({ user_id: id })).toMatchObject({ status: 'pending', entity_version: 3 });

    // Run again: nothing left to replay.
    const third = await runOpsForTest(
      ['dlq', 'replay', 'user_cards', '--reason', 'handler_error', '--event-type', 'user.verified'],
      env(),
    );
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/dead letters read 0, selected 0: applied 0/);
  });
});
