import { USER_CARDS_WORKER, WORKERS } from '@sc/read-models';
import type { AnyWorker } from '@sc/read-models';
import { DEAD_LETTER_HEADERS } from '@sc/event-schemas';
import { sumMetricSamples } from '@sc/kafka-runtime';
import { PAUSE_ACKS_COLLECTION, PAUSE_CONTROL_COLLECTION, requestPause } from '@sc/mongo-store';
import { DEFAULT_STREAM, createEndToEndWorld, expectedDocumentsOf, startWorkerProcess } from '@sc/testing';
import type { EndToEndWorld, ReadRecord, WorkerProcess } from '@sc/testing';
import { loadOpsConfig, openOpsContext } from '../src/context';
import { PauseNotAcknowledged } from '../src/pause';
import { fetchCommitted } from '../src/topic-reader';
import { REBUILD_LOCKS, rebuildProjection } from '../src/rebuild';
import type { RebuildHook } from '../src/rebuild';
import { testHoldLine } from '../src/test-hold';
import { runOpsForTest, startOpsProcess } from './ops-run';
import { produceUserRecords, userCreated, userVerified } from './user-records';

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

// One stream for every projection: each of them gets poison records and enough documents.
const STREAM = { ...DEFAULT_STREAM, users: 120, posts: 60, promotions: 20, orders: 60 };

/** `topic/partition@offset reason` of a dead letter, as a rebuild lists what it did not produce. */
function originOf(letter: ReadRecord): string {
  const h = letter.headers;
  return `${h[DEAD_LETTER_HEADERS.originalTopic]}/${h[DEAD_LETTER_HEADERS.originalPartition]}@${h[DEAD_LETTER_HEADERS.originalOffset]} ${h[DEAD_LETTER_HEADERS.reason]}`;
}

/** The collections of a world, without the pause's control collections (they stay once created; their documents are deleted). */
async function collectionsOf(world: EndToEndWorld): Promise<string[]> {
  return (await world.db.listCollections({}, { nameOnly: true }).toArray())
    .map((c) => c.name)
    .filter((name) => name !== PAUSE_CONTROL_COLLECTION && name !== PAUSE_ACKS_COLLECTION)
    .sort();
}

// Every worker (the built bundle) keeps running and consuming while its read model is
// rebuilt beside it and swapped in: the same test for each projection, from the
// WORKERS descriptors, ending with the collection a calm run gives (the simulator's
// own account) and `verify` agreeing.
describe.each(WORKERS.map((w) => [w.projection.name, w] as const))(
  'ops rebuild of %s against the real broker and store, its live worker running',
  (name, target: AnyWorker) => {
    let world: EndToEndWorld;
    let worker: WorkerProcess;
    const live = target.projection.collection;
    const pauseRequests = () => world.db.collection(PAUSE_CONTROL_COLLECTION).countDocuments();
    const readyz = async () => (await worker.get('/readyz')).body;
    const pausedMetric = async () => sumMetricSamples((await worker.get('/metrics')).body, 'sc_projection_paused');

    beforeAll(async () => {
      world = await createEndToEndWorld(target, { seed: 47, ...STREAM });
      const half = Math.floor(world.records.length / 2);
      await world.produce(world.records.slice(0, half));
      worker = startWorkerProcess(target.app, world.env);
      await world.waitForLagZero();
    });

    afterAll(async () => {
      await worker?.stop('SIGTERM');
      await world?.close();
    });

    it('given records that keep coming through the swap, when rebuilt, then the live worker is paused around the swap only and the collection ends as a calm run', async () => {
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
      const liveGroup = `${world.prefix}${target.group}`;
      const topics = target.topics.map((t) => `${world.prefix}${t}`);
      const seenWhilePaused: { readyz?: string; paused?: number; produced?: boolean; committedMoved?: boolean } = {};
      let report;
      try {
        report = await rebuildProjection(ops, target, {
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
        new RegExp(`^not ready: .*paused by rebuild of ${live} by \\S+ \\(request [0-9a-f-]{36}, lease until `),
      );
      expect(seenWhilePaused.paused).toBe(1);
      expect(seenWhilePaused.produced).toBe(true);
      expect(seenWhilePaused.committedMoved).toBe(false);
      expect(report).toMatchObject({ swapped: true, dryRun: false, resumed: false });
      expect(report.records).toBeGreaterThan(half); // more than what existed when it started
      // Counted, not produced: at least the poison records of what existed at its start, each one the live worker dead-lettered.
      const poison = world.records.slice(0, half).filter((r) => r.kind === 'poison').length;
      expect(poison).toBeGreaterThan(0);
      expect(report.deadLetters).toBeGreaterThanOrEqual(poison);
      expect(await collectionsOf(world)).toEqual([live, REBUILD_LOCKS].sort()); // old dropped, shadow renamed in
      expect(await pauseRequests()).toBe(0); // released

      await world.waitForLagZero();
      // The live worker ran throughout: the same process, consuming again, ready, not paused.
      expect(worker.child.pid).toBe(pid);
      expect(worker.child.exitCode).toBeNull();
      await settle(async () => expect(await readyz()).toBe('ready\n'));
      expect(await pausedMetric()).toBe(0);
      await world.expectExactDocuments();
      await world.expectDeclaredIndexes(target.projection.indexes);
      // Every dead letter is the live worker's: the rebuild produced none.
      const groups = new Set((await world.deadLetters()).map((l) => l.headers[DEAD_LETTER_HEADERS.consumerGroup]));
      expect([...groups]).toEqual([liveGroup]);
      // What the rebuild counted is what the live worker dead-lettered (the rebuild may have read ahead of it: after lag 0).
      const liveOrigins = new Set((await world.deadLetters()).map(originOf));
      expect(report.deadLetterOrigins.filter((o) => !liveOrigins.has(o))).toEqual([]);
      const verify = await runOpsForTest(['verify', name, '--json'], world.env);
      expect(verify.json).toMatchObject({ exitCode: 0, missing: 0, extra: 0, different: 0 });
    });
  },
);

// The user-cards worker (the built bundle) keeps running beside every other case of a
// rebuild: options, refusals, the pause's failures, and crashes at each stage; every
// rebuild must end with the collection a calm run gives (the simulator's own account).
describe('ops rebuild against the real broker and store, the live worker running', () => {
  let world: EndToEndWorld;
  let worker: WorkerProcess;
  const live = USER_CARDS_WORKER.projection.collection;
  const collections = () => collectionsOf(world);
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
    await world.produce(world.records);
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

  // The real CLI (the bundle a Job runs) SIGKILLed at each stage: no handler runs, the
  // lock's heartbeat and the pause's renewal just stop. OPS_TEST_HOLD_AT makes it wait
  // at the stage and say so on stderr, so the kill lands there every time.
  it.each([
    ['shadow-chunk', 'building', false], // a chunk written to the shadow: half-built
    ['paused', 'swapping', true], // the live worker paused, nothing renamed yet
    ['between-renames', 'swapping', true], // live renamed aside, the shadow not yet in its place
    ['swapped', 'finishing', true], // swapped in, the pause not yet released
  ] as const)(
    'given the CLI rebuilding, when SIGKILLed at "%s" (stage %s), then the pause lapses, a rerun resumes and finishes, and no half-built shadow is swapped in',
    async (point, stage, holdsPause) => {
      const expectedCount = expectedDocumentsOf(USER_CARDS_WORKER, world.stream).size;
      // A short lease: the killed run's pause lapses in seconds, not the default 20 s.
      const env = { ...world.env, OPS_PAUSE_LEASE_MS: '3000' };
      const first = startOpsProcess(['rebuild', 'user_cards', '--json'], { ...env, OPS_TEST_HOLD_AT: point });
      let lock;
      let shadowAtKill: number;
      try {
        await first.waitForLine(testHoldLine(point));
        lock = await world.db.collection(REBUILD_LOCKS).findOne({ _id: live as never });
        expect(lock).toMatchObject({ stage });
        shadowAtKill = await world.db.collection(String(lock!['shadow'])).countDocuments();
        if (holdsPause) expect(await readyz()).toMatch(/paused by rebuild of user_cards/);
      } finally {
        await first.kill();
      }
      expect((await first.ended).signal).toBe('SIGKILL');
      const shadow = String(lock!['shadow']);
      const old = String(lock!['old']);

      // What the crash left: never a partial collection in the live one's place.
      if (point === 'shadow-chunk') {
        expect(shadowAtKill).toBeGreaterThan(0);
        expect(shadowAtKill).toBeLessThan(expectedCount); // half-built…
        expect(await collections()).toEqual([live, REBUILD_LOCKS, shadow].sort()); // …and not swapped
        await world.expectExactDocuments();
      } else if (point === 'paused') {
        expect(await collections()).toEqual([live, REBUILD_LOCKS, shadow].sort());
        await world.expectExactDocuments();
      } else if (point === 'between-renames') {
        // Only a complete shadow gets here: fed up to the committed offsets of the paused group.
        expect(shadowAtKill).toBe(expectedCount);
        expect(await collections()).toEqual([old, REBUILD_LOCKS, shadow].sort());
      } else {
        expect(await collections()).toEqual([live, REBUILD_LOCKS, old].sort());
        await world.expectExactDocuments();
      }
      // Nobody renews the dead run's pause: the live worker goes on once its lease lapses.
      await settle(async () => expect(await readyz()).toBe('ready\n'), 15_000);
      await settle(async () => expect(await pausedMetric()).toBe(0));

      // What waiting 30 s for the dead run's heartbeat to go stale does, without the wait.
      await world.db
        .collection(REBUILD_LOCKS)
        .updateOne({ _id: live as never }, { $set: { heartbeatAt: new Date(0) } });
      const rerun = await startOpsProcess(['rebuild', 'user_cards', '--json'], env).ended;
      expect(rerun.stderr).toBe('');
      expect(rerun.code).toBe(0);
      expect(rerun.json).toMatchObject({ resumed: true, swapped: true, shadow });
      expect(await collections()).toEqual([live, REBUILD_LOCKS].sort());
      expect(await pauseRequests()).toBe(0);
      await world.waitForLagZero();
      await world.expectExactDocuments();
      await world.expectDeclaredIndexes(USER_CARDS_WORKER.projection.indexes);
      expect(worker.child.exitCode).toBeNull();
      await settle(async () => expect(await readyz()).toBe('ready\n'));
    },
  );

  it('given records the live group has not committed, when rebuilt, then the shadow stops at its offsets and the live worker dead-letters them as in a calm run', async () => {
    // The live worker stopped: its committed offsets stay where they are while records arrive.
    expect(await worker.stop('SIGTERM')).toBe(0);
    const late = 'usr_after_the_live_offsets';
    // A calm run dead-letters the verification (missing_entity), then creates the user.
    await produceUserRecords(world, [userVerified(late, 2), userCreated(late)]);
    const dry = await runOpsForTest(['rebuild', 'user_cards', '--dry-run', '--json'], world.env);
    expect(dry.code).toBe(0);
    const shadow = world.db.collection(String(dry.json['shadow']));
    // Read ahead, the shadow would hold the user; swapped in, the restarted worker would then find the verification stale.
    expect(await shadow.countDocuments({ user_id: late })).toBe(0);
    expect(await shadow.countDocuments()).toBe(await world.db.collection(live).countDocuments());

    worker = startWorkerProcess(USER_CARDS_WORKER.app, world.env);
    await world.waitForLagZero();
    const rebuilt = await runOpsForTest(['rebuild', 'user_cards', '--json'], world.env);
    expect(rebuilt.code).toBe(0);
    const lateLetters = (await world.deadLetters()).filter((l) => l.value?.toString('utf8').includes(late));
    expect(lateLetters.map((l) => l.headers[DEAD_LETTER_HEADERS.reason])).toEqual(['missing_entity']);
    expect(await world.db.collection(live).findOne({ user_id: late })).toMatchObject({ entity_version: 1 });
  });
});
