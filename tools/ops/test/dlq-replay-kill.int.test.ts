import { DEAD_LETTER_HEADERS } from '@sc/event-schemas';
import { USER_CARDS_WORKER } from '@sc/read-models';
import { eventually, readTopic, startWorkerProcess } from '@sc/testing';
import type { EndToEndWorld, ReadRecord } from '@sc/testing';
import { replayGroupOf } from '../src/dlq';
import { testHoldLine } from '../src/test-hold';
import { fetchCommitted, partitionKey } from '../src/topic-reader';
import { startOpsProcess } from './ops-run';
import { createUserRecordsWorld, produceUserRecords, userCreated, userVerified } from './user-records';

/** The original record of a dead letter: `topic/partition@offset`. */
function originOf(letter: ReadRecord): string {
  const h = letter.headers;
  return `${h[DEAD_LETTER_HEADERS.originalTopic]}/${h[DEAD_LETTER_HEADERS.originalPartition]}@${h[DEAD_LETTER_HEADERS.originalOffset]}`;
}

// The real worker dead-letters `user.verified` events that came before their entity's
// `user.created` (missing_entity). A replay of them after the entities exist applies
// most and writes back those whose entity never came. The real CLI is SIGKILLed after
// it applied a chunk to the store and before its group committed it; the rerun must
// leave every document right, apply nothing twice, and lose no dead letter.
describe('ops dlq replay killed between the store write and the commit', () => {
  let world: EndToEndWorld;
  const applicable = ['m1', 'm2', 'm3', 'm4']; // created after their verified: a replay applies it
  const orphans = ['n1', 'n2']; // never created: a replay fails again and writes them back
  const collection = () => world.db.collection(USER_CARDS_WORKER.projection.collection);
  const selection = { reason: 'missing_entity' as const, eventType: undefined, since: undefined };
  const replayArgs = ['dlq', 'replay', 'user_cards', '--reason', 'missing_entity', '--json'];

  beforeAll(async () => {
    // One partition each: the dead letters' order, and so the replay's chunks, are known.
    world = await createUserRecordsWorld(3, 1);
    const verified = (id: string) => userVerified(id, 2);
    // Dead letters in this order: m1 m2 n1 | m3 m4 n2 → chunks of 2: [m1 m2] [n1 m3] [m4 n2].
    await produceUserRecords(world, [
      ...['m1', 'm2'].flatMap((id) => [verified(id), userCreated(id)]),
      verified('n1'),
      ...['m3', 'm4'].flatMap((id) => [verified(id), userCreated(id)]),
      verified('n2'),
    ]);
    const worker = startWorkerProcess(USER_CARDS_WORKER.app, world.env);
    try {
      await world.waitForLagZero();
      await eventually(
        '6 dead letters',
        async () => (await readTopic(world.kafka, world.deadLetterTopic)).length === 6,
      );
    } finally {
      expect(await worker.stop('SIGTERM')).toBe(0);
    }
  });

  afterAll(async () => {
    await world?.close();
  });

  it('given a replay SIGKILLed after applying its second chunk and before committing it, when rerun, then every document is right, none applied twice, no dead letter lost', async () => {
    const originals = await readTopic(world.kafka, world.deadLetterTopic);
    expect(originals.map((l) => `${l.key?.toString()} ${l.headers[DEAD_LETTER_HEADERS.reason]}`)).toEqual(
      ['m1', 'm2', 'n1', 'm3', 'm4', 'n2'].map((id) => `${id} missing_entity`),
    );
    const originOfEntity = new Map(originals.map((l) => [l.key!.toString(), originOf(l)]));
    for (const id of applicable)
      expect(await collection().findOne({ user_id: id })).toMatchObject({ status: 'pending', entity_version: 1 });
    const env = { ...world.env, MAX_EVENTS_PER_WRITE: '2' };
    const group = `${world.prefix}${replayGroupOf(USER_CARDS_WORKER, selection)}`;
    const committed = async () =>
      (await fetchCommitted(world.admin, group, [world.deadLetterTopic])).get(partitionKey(world.deadLetterTopic, 0));

    // The first run: chunk [m1 m2] applied and committed, chunk [n1 m3] applied (n1 written back first), then killed.
    const first = startOpsProcess(replayArgs, { ...env, OPS_TEST_HOLD_AT: 'replay-applied:2' });
    try {
      await first.waitForLine(testHoldLine('replay-applied'));
    } finally {
      await first.kill();
    }
    expect((await first.ended).signal).toBe('SIGKILL');
    expect(await committed()).toBe(2); // the second chunk's commit never happened
    for (const id of ['m1', 'm2', 'm3'])
      expect(await collection().findOne({ user_id: id })).toMatchObject({ status: 'active', entity_version: 2 });
    expect(await collection().findOne({ user_id: 'm4' })).toMatchObject({ status: 'pending', entity_version: 1 });
    const afterKill = (await readTopic(world.kafka, world.deadLetterTopic)).slice(originals.length);
    expect(afterKill.map((l) => [l.key?.toString(), l.headers[DEAD_LETTER_HEADERS.attempt]])).toEqual([['n1', '2']]);

    // The rerun resumes at the uncommitted chunk: m3 again (stale now: not applied twice), then the rest,
    // and the n1 written back by the killed run (within the end the topic had when the rerun started).
    const rerun = await startOpsProcess(replayArgs, env).ended;
    expect(rerun.stderr).toBe('');
    expect(rerun.code).toBe(1); // some failed again
    expect(rerun.json).toMatchObject({ read: 5, selected: 5, applied: 1, stale: 1, failedAgain: 3 });
    const outcomes = (rerun.json['records'] as { origin: string; outcome: string }[]).map(
      (r) => `${r.origin} ${r.outcome}`,
    );
    expect(outcomes).toEqual([
      `${originOfEntity.get('n1')} failed_again`,
      `${originOfEntity.get('m3')} stale`,
      `${originOfEntity.get('m4')} applied`,
      `${originOfEntity.get('n2')} failed_again`,
      `${originOfEntity.get('n1')} failed_again`, // the killed run's write-back
    ]);
    expect(await committed()).toBe(originals.length + 1);

    // The read model: every applicable event applied exactly as a calm replay would leave it.
    for (const id of applicable)
      expect(await collection().findOne({ user_id: id })).toMatchObject({ status: 'active', entity_version: 2 });
    for (const id of orphans) expect(await collection().findOne({ user_id: id })).toBeNull();
    // Nothing lost: each orphan is back in the dead-letter topic with its origin, attempt above 1 (n1 more than once).
    const writtenBack = (await readTopic(world.kafka, world.deadLetterTopic)).slice(originals.length);
    for (const id of orphans) {
      const copies = writtenBack.filter((l) => l.key?.toString() === id);
      expect(copies.length).toBeGreaterThanOrEqual(1);
      for (const copy of copies) {
        expect(originOf(copy)).toBe(originOfEntity.get(id));
        expect(copy.headers[DEAD_LETTER_HEADERS.reason]).toBe('missing_entity');
        expect(Number(copy.headers[DEAD_LETTER_HEADERS.attempt])).toBeGreaterThanOrEqual(2);
      }
    }
    expect(writtenBack.map((l) => l.key?.toString()).sort()).toEqual(['n1', 'n1', 'n1', 'n2']);
  });
});
