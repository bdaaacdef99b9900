import { USER_CARDS_WORKER } from '@sc/read-models';
import { DEAD_LETTER_HEADERS } from '@sc/event-schemas';
import { sumMetricSamples } from '@sc/kafka-runtime';
import { PAUSE_ACKS_COLLECTION, PAUSE_CONTROL_COLLECTION, requestPause } from '@sc/mongo-store';
import { DEFAULT_STREAM, createEndToEndWorld, startWorkerProcess } from '@sc/testing';
import type { EndToEndWorld, WorkerProcess } from '@sc/testing';
import { loadOpsConfig, openOpsContext } from '../src/context';
import { PauseNotAcknowledged } from '../src/pause';
import { fetchCommitted } from '../src/topic-reader';
import { REBUILD_LOCKS, rebuildProjection } from '../src/rebuild';
import type { RebuildHook } from '../src/rebuild';
import { runOpsForTest } from './ops-run';

/** Runs `check` until it stops throwing (its last failure is thrown after `timeoutMs`). */
async function settle(check: () => Promise<void>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

// The user-cards worker (the built bundle) keeps running and consuming while the
// read model is rebuilt beside it and swapped in; every rebuild must end with the
// collection a calm run gives (the simulator's own account), and `verify` agreeing.
describe('ops rebuild against the real broker and store, the live worker running', () => {
  let world: EndToEndWorld;
  let worker: WorkerProcess;
  const live = USER_CARDS_WORKER.projection.collection;
  // The pause's control collections stay once created (their documents are deleted): not part of the comparisons.
  const collections = async () =>
    (await world.db.listCollections({}, { nameOnly: true }).toArray())
      .map((c) => c.name)
      .filter((name) => name !== PAUSE_CONTROL_COLLECTION && name !== PAUSE_ACKS_COLLECTION)
      .sort();
  const pauseRequests = () => world.db.collection(PAUSE_CONTROL_COLLECTION).countDocuments();
  const readyz = async () => (await worker.get('/readyz')).body;
  const pausedMetric = async () => sumMetricSamples((await worker.get('/metrics')).body, 'sc_projection_paused');

  beforeAll(async () => {
    world = await createEndToEndWorld(USER_CARDS_WORKER, {
      seed: 47,
      ...DEFAULT_STREAM,
      users: 120,
      posts: 0,
      promotions: 0,
      orders: 0,
    });
    const half = Math.floor(world.records.length / 2);
    await world.produce(world.records.slice(0, half));
    worker = startWorkerProcess(USER_CARDS_WORKER.app, world.env);
    await world.waitForLagZero();
  });

  afterEach(async () => {
    // A failed case leaves no lock, pause or shadow behind for the next one.
    await world.db.collection(REBUILD_LOCKS).deleteMany({});
    await world.db.collection(PAUSE_CONTROL_COLLECTION).deleteMany({});
    for (const name of await collections()) if (name.includes('__')) await world.db.collection(name).drop();
  });

  afterAll(async () => {
    await worker?.stop('SIGTERM');
    await world?.close();
  });

  it('rebuilds while the live worker consumes a stream that keeps coming through the swap, pauses it, ends as a calm run', async () => {
    const half = Math.floor(world.records.length / 2);
    const rest = world.records.slice(half);
    const slices = 20;
    const slice = Math.ceil(rest.length / slices);
    const pid = worker.child.pid;
    // Records keep coming all along: while the shadow is built, while the live worker is
    // paused and the collection swapped, and after. The last two slices wait for the
    // swap, so that some records surely come after it.
    let produced = 0;
    let swappedAt = false;
    const producing = (async () => {
      for (let i = 0; i < rest.length; i += slice) {
        while (i >= rest.length - 2 * slice && !swappedAt) await new Promise((r) => setTimeout(r, 50));
        await world.produce(rest.slice(i, i + slice));
        produced++;
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const ops = await openOpsContext(loadOpsConfig({ ...process.env, ...world.env }), {});
    const liveGroup = `${world.prefix}${USER_CARDS_WORKER.group}`;
    const topics = USER_CARDS_WORKER.topics.map((t) => `${world.prefix}${t}`);
    const seenWhilePaused: { readyz?: string; paused?: number; produced?: boolean; committedMoved?: boolean } = {};
    let report;
    try {
      report = await rebuildProjection(ops, USER_CARDS_WORKER, {
        dryRun: false,
        keepOld: false,
        hook: async (at) => {
          if (at === 'paused') {
            // The live worker acknowledged: it says so, and its group commits nothing while records arrive.
            seenWhilePaused.readyz = await readyz();
            seenWhilePaused.paused = await pausedMetric();
            const committed = await fetchCommitted(ops.admin, liveGroup, topics);
            const before = produced;
            for (let waited = 0; produced === before && waited < 10_000; waited += 50)
              await new Promise((r) => setTimeout(r, 50));
            await new Promise((r) => setTimeout(r, 1_000)); // longer than a fetch and a chunk
            const after = await fetchCommitted(ops.admin, liveGroup, topics);
            seenWhilePaused.produced = produced > before;
            seenWhilePaused.committedMoved = JSON.stringify([...after]) !== JSON.stringify([...committed]);
          }
          if (at === 'swapped') swappedAt = true;
        },
      });
    } finally {
      swappedAt = true;
      await ops.close();
    }
    await producing;
    expect(seenWhilePaused.readyz).toMatch(
      /^not ready: .*paused by rebuild of user_cards by \S+ \(request [0-9a-f-]{36}, lease until /,
    );
    expect(seenWhilePaused.paused).toBe(1);
    expect(seenWhilePaused.produced).toBe(true);
    expect(seenWhilePaused.committedMoved).toBe(false);
    expect(report).toMatchObject({ swapped: true, dryRun: false, resumed: false });
    expect(report.records).toBeGreaterThan(half); // more than what existed when it started
    expect(report.deadLetters).toBeGreaterThan(0); // counted, not produced
    expect(await collections()).toEqual([live, REBUILD_LOCKS].sort()); // old dropped, shadow renamed in
    expect(await pauseRequests()).toBe(0); // released

    await world.waitForLagZero();
    // The live worker ran throughout: the same process, consuming again, ready, not paused.
    expect(worker.child.pid).toBe(pid);
    expect(worker.child.exitCode).toBeNull();
    await settle(async () => expect(await readyz()).toBe('ready\n'));
    expect(await pausedMetric()).toBe(0);
    await world.expectExactDocuments();
    await world.expectDeclaredIndexes(USER_CARDS_WORKER.projection.indexes);
    // Every dead letter is the live worker's: the rebuild produced none.
    const groups = new Set((await world.deadLetters()).map((l) => l.headers[DEAD_LETTER_HEADERS.consumerGroup]));
    expect([...groups]).toEqual([liveGroup]);
    const verify = await runOpsForTest(['verify', 'user_cards', '--json'], world.env);
    expect(verify.json).toMatchObject({ exitCode: 0, missing: 0, extra: 0, different: 0 });
  });

  it('gives up before the swap when the live group does not acknowledge in time: the pause released, nothing swapped', async () => {
    const ops = await openOpsContext(loadOpsConfig({ ...process.env, ...world.env }), {});
    try {
      // 1 ms: the worker reads the request only on its next refresh, so it cannot have acknowledged yet.
      const error: unknown = await rebuildProjection(ops, USER_CARDS_WORKER, {
        dryRun: false,
        keepOld: false,
        pauseAckTimeoutMs: 1,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PauseNotAcknowledged);
      expect(error).toMatchObject({ code: 'OPERATION_TIMED_OUT', retriable: true });
      expect((error as Error).message).toMatch(
        /did not acknowledge the pause within 1 ms \(1 of 1 members missing: \S+\); the pause is released and nothing was swapped/,
      );
      expect(await pauseRequests()).toBe(0);
      const lock = await world.db.collection(REBUILD_LOCKS).findOne({});
      expect(lock).toMatchObject({ stage: 'swapping' }); // a rerun resumes with the built shadow
      expect(await collections()).toContain(String(lock!['shadow']));
      await world.expectExactDocuments();
      await settle(async () => expect(await readyz()).toBe('ready\n'));
    } finally {
      await ops.close();
    }
  });

  it('a pause left by a rebuild that died holds the live worker no longer than its lease', async () => {
    // What a rebuild killed while holding the pause leaves: the request, nobody renewing it.
    await requestPause(world.db, live, {
      id: 'dead-rebuild',
      by: 'a rebuild that died',
      now: new Date(),
      leaseMs: 4_000,
    });
    await settle(async () => expect(await readyz()).toMatch(/paused by a rebuild that died \(request dead-rebuild/));
    expect(await pausedMetric()).toBe(1);
    await settle(async () =>
      expect(await world.db.collection(PAUSE_ACKS_COLLECTION).findOne({ request: 'dead-rebuild' })).toMatchObject({
        state: 'paused',
        collection: live,
      }),
    );
    // The lease runs out with nobody to release it: the worker goes on by itself, and says so.
    await settle(async () => expect(await readyz()).toBe('ready\n'), 15_000);
    await settle(async () => expect(await pausedMetric()).toBe(0));
    await settle(async () =>
      expect(await world.db.collection(PAUSE_ACKS_COLLECTION).findOne({ request: 'dead-rebuild' })).toMatchObject({
        state: 'resumed',
      }),
    );
    expect(worker.child.exitCode).toBeNull();
    // And the next rebuild replaces the lapsed request with its own.
    const run = await runOpsForTest(['rebuild', 'user_cards', '--json'], world.env);
    expect(run.json).toMatchObject({ exitCode: 0, swapped: true });
    expect(await pauseRequests()).toBe(0);
    await world.expectExactDocuments();
  });

  it('waits for every instance of the live group: two workers both pause and acknowledge', async () => {
    const second = startWorkerProcess(USER_CARDS_WORKER.app, world.env);
    const ops = await openOpsContext(loadOpsConfig({ ...process.env, ...world.env }), {});
    const liveGroup = `${world.prefix}${USER_CARDS_WORKER.group}`;
    try {
      await settle(async () => {
        const { groups } = await ops.admin.describeGroups([liveGroup]);
        expect(groups[0]).toMatchObject({ state: 'Stable', members: [expect.anything(), expect.anything()] });
      }, 60_000);
      let seen: { members: string[]; acked: string[]; readyz: string[] } | undefined;
      const report = await rebuildProjection(ops, USER_CARDS_WORKER, {
        dryRun: false,
        keepOld: false,
        hook: async (at) => {
          if (at !== 'paused') return;
          const { groups } = await ops.admin.describeGroups([liveGroup]);
          const acks = await world.db
            .collection(PAUSE_ACKS_COLLECTION)
            .find({ collection: live, state: 'paused' })
            .toArray();
          seen = {
            members: groups[0]!.members.map((m) => m.memberId).sort(),
            acked: acks.map((a) => String(a['member'])).sort(),
            readyz: [(await worker.get('/readyz')).body, (await second.get('/readyz')).body],
          };
        },
      });
      expect(report).toMatchObject({ swapped: true });
      expect(seen!.members).toHaveLength(2);
      expect(seen!.acked).toEqual(seen!.members);
      for (const body of seen!.readyz) expect(body).toMatch(/paused by rebuild of user_cards/);
      await world.waitForLagZero();
      await world.expectExactDocuments();
    } finally {
      await ops.close();
      await second.stop('SIGTERM');
    }
  });

  it('prints its summary through the CLI', async () => {
    const run = await runOpsForTest(['rebuild', 'user_cards'], world.env);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^rebuild user_cards: [\d,]+ records consumed with group \S+\.rebuild\.\d{8}T\d{6}Z in [\d.]+ s$/m,
    );
    expect(run.stdout).toMatch(
      /^user_cards__rebuild_\d{8}T\d{6}Z swapped in as user_cards \(\d+ documents\); former collection dropped$/m,
    );
    expect(run.stdout).toMatch(/^dead letters not produced: \d+ \(/m);
    await world.expectExactDocuments();
  });

  it('--dry-run builds the shadow and stops before the swap; --keep-old keeps the former collection', async () => {
    const dry = await runOpsForTest(['rebuild', 'user_cards', '--dry-run', '--json'], world.env);
    expect(dry.code).toBe(0);
    const shadow = String(dry.json['shadow']);
    expect(shadow).toMatch(/^user_cards__rebuild_\d{8}T\d{6}Z$/);
    expect(dry.json).toMatchObject({ swapped: false, dryRun: true });
    expect(await collections()).toEqual([live, REBUILD_LOCKS, shadow].sort());
    expect(await world.db.collection(shadow).countDocuments()).toBe(await world.db.collection(live).countDocuments());
    await world.db.collection(shadow).drop();

    await new Promise((r) => setTimeout(r, 1100)); // a new timestamp for the next shadow
    const kept = await runOpsForTest(['rebuild', 'user_cards', '--keep-old', '--json'], world.env);
    expect(kept.code).toBe(0);
    expect(String(kept.json['keptOld'])).toMatch(/^user_cards__old_/);
    expect(await collections()).toEqual([live, REBUILD_LOCKS, String(kept.json['keptOld'])].sort());
    await world.db.collection(String(kept.json['keptOld'])).drop();
    await world.expectExactDocuments();
  });

  it('refuses a second rebuild while one runs, with a clear message', async () => {
    const now = new Date();
    await world.db.collection(REBUILD_LOCKS).insertOne({
      _id: live as never,
      shadow: 'user_cards__rebuild_x',
      old: 'user_cards__old_x',
      group: 'g',
      stage: 'building',
      startedAt: now,
      owner: 'other-host:1',
      heartbeatAt: now,
    });
    const refused = await runOpsForTest(['rebuild', 'user_cards'], world.env);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(
      /^rebuild refused: a rebuild of user_cards is already running \(owner other-host:1, .*stage building, shadow user_cards__rebuild_x\); wait for it to end/,
    );
    await world.db.collection(REBUILD_LOCKS).deleteMany({});
  });

  it.each(['building', 'built', 'paused', 'between-renames', 'swapped'] as const)(
    'a rebuild killed at "%s" is resumed by a rerun, and never swaps in a half-built collection',
    async (point) => {
      const ops = await openOpsContext(loadOpsConfig({ ...process.env, ...world.env }), {});
      try {
        const crash: RebuildHook = (at) => {
          if (at === point) throw new Error(`killed at ${point}`);
        };
        await expect(
          rebuildProjection(ops, USER_CARDS_WORKER, { dryRun: false, keepOld: false, hook: crash }),
        ).rejects.toThrow(`killed at ${point}`);
        if (point === 'building' || point === 'built') {
          // Not swapped: the live collection is still the worker's, complete.
          await world.expectExactDocuments();
        }
        const lock = await world.db.collection(REBUILD_LOCKS).findOne({});
        expect(lock).not.toBeNull();
        const rerun = await rebuildProjection(ops, USER_CARDS_WORKER, {
          dryRun: false,
          keepOld: false,
          staleLockMs: 0,
        });
        expect(rerun).toMatchObject({ resumed: true, swapped: true, shadow: lock!['shadow'] });
        expect(await collections()).toEqual([live, REBUILD_LOCKS].sort());
        expect(await pauseRequests()).toBe(0);
        await world.waitForLagZero();
        await world.expectExactDocuments();
        expect(worker.child.exitCode).toBeNull();
      } finally {
        await ops.close();
      }
    },
  );
});
