import type { Db, MongoClient } from 'mongodb';
import pino from 'pino';
import {
  PAUSE_ACKS_COLLECTION,
  PAUSE_CONTROL_COLLECTION,
  connectMongo,
  openMongoPauseGate,
  readPauseAcks,
  releasePause,
  renewPause,
  requestPause,
} from '../src';
import type { MongoPauseGate } from '../src';

const logger = pino({ level: 'silent' });
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean): Promise<void> {
  for (let waited = 0; !check() && waited < 10_000; waited += 20) await tick(20);
}

describe('the pause control and the workers’ gate on a real server', () => {
  let client: MongoClient;
  let db: Db;
  const gates: MongoPauseGate[] = [];
  beforeAll(async () => {
    // A database of its own per run (this lib cannot use @sc/testing, which builds on it).
    const database = `t_pause_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    ({ client, db } = await connectMongo({ url: process.env['MONGO_URL']!, database, appName: 'pause-test' }));
  });
  afterAll(async () => {
    for (const gate of gates) gate.close();
    await db.dropDatabase();
    await client.close();
  });
  const open = async (collection: string) => {
    const gate = await openMongoPauseGate({ db, collection, logger, refreshMs: 50, instance: 'host:1' });
    gates.push(gate);
    return gate;
  };

  it('sees a request within its refresh, records acknowledgements, and forgets the request once released', async () => {
    const gate = await open('cards');
    expect(gate.current()).toBeUndefined();
    await requestPause(db, 'cards', { id: 'r1', by: 'rebuild of cards', now: new Date(), leaseMs: 60_000 });
    await until(() => gate.current() !== undefined);
    expect(gate.current()).toMatchObject({ id: 'r1', by: 'rebuild of cards' });
    expect((await open('other')).current()).toBeUndefined(); // per collection

    await gate.acknowledge({ request: 'r1', member: 'm1', state: 'paused' });
    const [ack] = await readPauseAcks(db, 'cards', 'r1');
    expect(ack).toMatchObject({
      _id: 'cards/m1',
      collection: 'cards',
      request: 'r1',
      member: 'm1',
      instance: 'host:1',
      state: 'paused',
    });
    expect(ack!.paused_at).toBeInstanceOf(Date);
    await gate.acknowledge({ request: 'r1', member: 'm1', state: 'resumed' });
    expect((await readPauseAcks(db, 'cards', 'r1'))[0]).toMatchObject({ state: 'resumed' });

    await releasePause(db, 'cards', 'r1');
    await until(() => gate.current() === undefined);
    expect(gate.current()).toBeUndefined();
    expect(await readPauseAcks(db, 'cards', 'r1')).toEqual([]);
  });

  it('knows a request from its first read (a worker starting during a pause never consumes first)', async () => {
    await requestPause(db, 'orders', { id: 'r2', by: 'x', now: new Date(), leaseMs: 60_000 });
    const gate = await openMongoPauseGate({ db, collection: 'orders', logger, refreshMs: 60_000 });
    gates.push(gate);
    expect(gate.current()).toMatchObject({ id: 'r2' });
    await releasePause(db, 'orders', 'r2');
  });

  it('lets a request lapse with its lease (the requester died), and never revives a lapsed one', async () => {
    const gate = await open('feed');
    await requestPause(db, 'feed', { id: 'r3', by: 'a rebuild that dies', now: new Date(), leaseMs: 600 });
    await until(() => gate.current() !== undefined);
    expect(gate.current()).toMatchObject({ id: 'r3' });
    await until(() => gate.current() === undefined);
    // The document is still there (nobody released it): the lease alone freed the worker.
    expect(await db.collection(PAUSE_CONTROL_COLLECTION).countDocuments({ _id: 'feed' as never })).toBe(1);
    expect(await renewPause(db, 'feed', 'r3', new Date(), new Date(Date.now() + 60_000))).toBe(false);
    // A live request is renewed; another request's id is not.
    await requestPause(db, 'feed', { id: 'r4', by: 'next rebuild', now: new Date(), leaseMs: 60_000 });
    expect(await renewPause(db, 'feed', 'r4', new Date(), new Date(Date.now() + 120_000))).toBe(true);
    expect(await renewPause(db, 'feed', 'r3', new Date(), new Date(Date.now() + 120_000))).toBe(false);
    await releasePause(db, 'feed', 'r4');
    expect(await db.collection(PAUSE_ACKS_COLLECTION).countDocuments({ collection: 'feed' })).toBe(0);
  });
});
