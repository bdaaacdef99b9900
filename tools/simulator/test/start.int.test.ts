import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { MongoClient } from 'mongodb';
import { generateStream } from '@sc/event-simulator';
import { createTestNamespace } from '@sc/testing';
import { parseSimulatorArgs } from '../src/options';
import { PROJECTIONS } from '../src/projections';

const root = resolve(__dirname, '../../..');

describe('npm start --once', () => {
  it('brings the workers up, publishes a small stream, waits for lag 0 and reports the simulator’s own counts', async () => {
    const ns = createTestNamespace('start');
    const args = ['--once', '--scale', '40', '--seed', '5', '--json'];
    // Below the ephemeral range (32768+), so no client socket holds one of these ports.
    const base = 20000 + Math.floor(Math.random() * 10000);
    const child = spawn(process.execPath, [resolve(root, 'tools/scripts/start.mjs'), ...args], {
      cwd: root,
      env: { ...process.env, KAFKA_NAME_PREFIX: ns.prefix, MONGO_DB: ns.database, START_HTTP_PORT_BASE: String(base) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect({ code, tail: code === 0 ? '' : output.slice(-3000) }).toEqual({ code: 0, tail: '' });

    const line = output.split('\n').find((l) => l.startsWith('SUMMARY_JSON '));
    const summary = JSON.parse(line!.slice('SUMMARY_JSON '.length)) as {
      produced: number;
      projections: Record<
        string,
        { applied: number; stale: number; ignored: number; deadLettered: number; lag: number }
      >;
      documents: Record<string, number>;
    };
    const stream = generateStream(parseSimulatorArgs(['run', ...args], {}).options.stream);
    expect(summary.produced).toBe(stream.records.length);
    for (const projection of PROJECTIONS) {
      const records = stream.records.filter((r) => (projection.topics as readonly string[]).includes(r.topic));
      const count = (kind: string) => records.filter((r) => r.kind === kind).length;
      expect({ projection: projection.name, ...summary.projections[projection.name] }).toEqual({
        projection: projection.name,
        applied: count('event'),
        stale: count('duplicate') + count('stale'),
        ignored: count('ignored'),
        deadLettered: count('poison'),
        consumed: records.length,
        lag: 0,
      });
    }
    expect(summary.documents).toEqual({
      user_cards: stream.expected.user_cards.size,
      feed_items: stream.expected.feed_items.size,
      order_summaries: stream.expected.order_summaries.size,
    });
    expect(output).toContain('Top users by followers');
    expect(output).toContain('workers stopped cleanly');
    const client = await MongoClient.connect(process.env['MONGO_URL']!);
    await client.db(ns.database).dropDatabase();
    await client.close();
  });
});
