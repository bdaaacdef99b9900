import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { MongoClient } from 'mongodb';
import { createTestNamespace } from '@sc/testing';
import { startPrivateBroker } from '../src/owned-broker';
import type { PrivateBroker } from '../src/owned-broker';

const root = resolve(__dirname, '../../..');

/**
 * The first `npm start` on a broker that has never run before: the workers create
 * the topics while the simulator creates and produces to the same topics, right
 * after Kafka came up. Each run of this test gets a broker of its own, started from
 * scratch on side ports (the downloaded jars are shared), beside the usual MongoDB.
 */
describe('the first npm start on a fresh Kafka', () => {
  // Below the ephemeral range (32768+), so no client socket holds one of these ports.
  const kafkaPort = 20000 + 2 * Math.floor(Math.random() * 5000);
  let broker: PrivateBroker | undefined;

  afterAll(async () => {
    await broker?.destroy();
  });

  it('passes: topics created by the workers and the simulator at once, first produce waits for their leaders', async () => {
    broker = startPrivateBroker(kafkaPort);

    const ns = createTestNamespace('first');
    const child = spawn(process.execPath, [resolve(root, 'tools/scripts/start.mjs'), '--once', '--scale', '50'], {
      cwd: root,
      env: {
        ...process.env,
        KAFKA_BROKERS: broker.brokers,
        MONGO_DB: ns.database,
        START_HTTP_PORT_BASE: String(kafkaPort + 2),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect({ code, tail: code === 0 ? '' : output.slice(-3000) }).toEqual({ code: 0, tail: '' });
    expect(output).toContain('=== summary ===');
    expect(output).toContain('workers stopped cleanly');

    const client = await MongoClient.connect(process.env['MONGO_URL']!);
    await client.db(ns.database).dropDatabase();
    await client.close();
  });
});
