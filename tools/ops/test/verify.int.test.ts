import { USER_CARDS_WORKER } from '@sc/read-models';
import { DEFAULT_STREAM, createEndToEndWorld, startWorkerProcess } from '@sc/testing';
import type { EndToEndWorld, WorkerProcess } from '@sc/testing';
import { testHoldLine } from '../src/test-hold';
import { runOpsForTest, startOpsProcess } from './ops-run';

/** The fold modes, as command-line options: in memory (chosen by size, and forced), and into a temporary collection (forced, and chosen by size). */
const MODES = [
  ['memory', []],
  ['memory', ['--in-memory']],
  ['collection', ['--temporary-collection']],
  ['collection', ['--max-memory-documents', '1']],
] as const;

// The user-cards worker (the built bundle) consumes a small stream to lag 0; `verify`
// must find the collection exact, then exactly the damage done on purpose, whether it
// folds in memory or into a temporary collection (which it must always drop).
describe('ops verify against the real broker and store', () => {
  let world: EndToEndWorld;
  let worker: WorkerProcess | undefined;
  const collection = () => world.db.collection(USER_CARDS_WORKER.projection.collection);
  const collections = async () =>
    (await world.db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name).sort();

  beforeAll(async () => {
    world = await createEndToEndWorld(USER_CARDS_WORKER, {
      seed: 31,
      ...DEFAULT_STREAM,
      users: 120,
      posts: 0,
      promotions: 0,
      orders: 0,
    });
    await world.produce(world.records);
    worker = startWorkerProcess(USER_CARDS_WORKER.app, world.env);
    await world.waitForLagZero();
    expect(await worker.stop('SIGTERM')).toBe(0);
    worker = undefined;
    // A record the stopped worker has not consumed: the last event produced again.
    await world.produce(world.records.filter((r) => r.kind === 'event').slice(-1));
  });

  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await world?.close();
  });

  it.each(MODES)(
    'given a correct model and a record not yet consumed, when verified %s (%j), then it passes, leaves that record’s document out and no temporary collection behind',
    async (mode, options) => {
      const before = await collections();
      const run = await runOpsForTest(['verify', 'user_cards', ...options, '--json'], world.env);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      const documents = await collection().countDocuments();
      expect(run.json).toMatchObject({
        mode,
        exitCode: 0,
        checked: documents - 1,
        equal: documents - 1,
        missing: 0,
        extra: 0,
        different: 0,
        notYetConsumed: 1,
        records: world.records.length + 1,
        differences: [],
      });
      const text = await runOpsForTest(['verify', 'user_cards', ...options], world.env);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/documents checked \d+: equal \d+, missing 0, extra 0, different 0; not compared 1/);
      expect(text.stdout).toMatch(/^OK: the collection is what its events give$/m);
      if (mode === 'collection') {
        expect(run.json['temporaryCollection']).toEqual({
          name: expect.stringMatching(/^user_cards__verify_\d{8}T\d{9}Z$/) as unknown,
          dropped: true,
        });
        expect(text.stdout).toMatch(
          /^verify user_cards: [\d,]+ records folded \(.*\) into the temporary collection user_cards__verify_\d{8}T\d{9}Z, compared with user_cards$/m,
        );
        expect(text.stdout).toMatch(/^temporary collection user_cards__verify_\d{8}T\d{9}Z dropped$/m);
      } else expect(run.json['temporaryCollection']).toBeUndefined();
      expect(await collections()).toEqual(before);
    },
  );

  it('reports exactly a changed, a deleted and an added document, field by field', async () => {
    const docs = await collection()
      .find({ status: 'active' }, { projection: { _id: 0 } })
      .sort({ user_id: 1 })
      .limit(2)
      .toArray();
    const [changed, deleted] = docs as unknown as [Record<string, unknown>, Record<string, unknown>];
    await collection().updateOne(
      { user_id: changed['user_id'] },
      { $set: { display_name: 'Tampered', follower_count: -1 } },
    );
    await collection().deleteOne({ user_id: deleted['user_id'] });
    await collection().insertOne({ ...deleted, user_id: 'usr_made_up', last_event_id: 'evt_made_up' });

    const run = await runOpsForTest(['verify', 'user_cards', '--json'], world.env);
    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({ exitCode: 1, missing: 1, extra: 1, different: 1 });
    const differences = run.json['differences'] as Record<string, unknown>[];
    expect(differences.map((d) => [d['kind'], d['key']]).sort()).toEqual(
      [
        ['different', changed['user_id']],
        ['extra', 'usr_made_up'],
        ['missing', deleted['user_id']],
      ].sort(),
    );
    expect(differences.find((d) => d['kind'] === 'different')!['fields']).toEqual([
      { path: 'display_name', expected: changed['display_name'], actual: 'Tampered' },
      { path: 'follower_count', expected: changed['follower_count'], actual: -1 },
    ]);

    const text = await runOpsForTest(['verify', 'user_cards'], world.env);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      `display_name: events give ${JSON.stringify(changed['display_name'])}, collection has "Tampered"`,
    );
    expect(text.stdout).toMatch(/^DIFFERENT: 3 documents differ$/m);

    // The temporary collection finds the same differences, field by field, and is dropped all the same.
    const before = await collections();
    for (const [, options] of MODES.filter(([mode]) => mode === 'collection')) {
      const inCollection = await runOpsForTest(['verify', 'user_cards', ...options, '--json'], world.env);
      expect(inCollection.code).toBe(1);
      const { temporaryCollection, mode, ...rest } = inCollection.json;
      const { mode: memoryMode, ...inMemory } = run.json;
      expect([mode, memoryMode]).toEqual(['collection', 'memory']);
      expect(rest).toEqual(inMemory);
      expect(temporaryCollection).toMatchObject({ dropped: true });
    }
    expect(await collections()).toEqual(before);
  });
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'given a verify folding into its temporary collection, when the process gets %s, then it stops there, drops the collection and exits as a shell reports the signal',
    async (signal) => {
      const before = await collections();
      const verify = startOpsProcess(['verify', 'user_cards', '--temporary-collection', '--json'], {
        ...world.env,
        OPS_TEST_HOLD_AT: 'verify-fold',
      });
      await verify.waitForLine(testHoldLine('verify-fold'));
      // Held after its first chunk: the temporary collection exists now.
      expect((await collections()).filter((name) => name.includes('__verify_'))).toHaveLength(1);
      verify.signal(signal);
      const run = await verify.ended;
      const exitCode = signal === 'SIGTERM' ? 143 : 130;
      expect({ code: run.code, signal: run.signal }).toEqual({ code: exitCode, signal: null });
      expect(run.stderr).toContain(`ops: verify interrupted by ${signal}`);
      expect(run.json).toEqual({ command: 'verify', exitCode, interrupted: signal });
      expect(await collections()).toEqual(before);
    },
  );
});
