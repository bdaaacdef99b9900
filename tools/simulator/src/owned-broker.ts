import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { OwnedBroker } from './chaos';

const root = resolve(__dirname, '../../..');
const infraCli = resolve(root, 'tools/local-infra/cli.ts');

/** A Kafka broker of one's own, started from nothing on side ports by tools/local-infra (jars shared). */
export interface PrivateBroker extends OwnedBroker {
  readonly brokers: string;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

/**
 * Starts a private broker on `port` (and `port + 1` for its controller), with its
 * data in a fresh temporary folder: a fresh cluster, which tests may stop and start
 * without touching anybody's infrastructure.
 */
export function startPrivateBroker(port: number): PrivateBroker {
  const dir = mkdtempSync(join(tmpdir(), 'sc-private-kafka-'));
  const env = {
    ...process.env,
    LOCAL_INFRA_DIR: dir,
    LOCAL_INFRA_CACHE_DIR: process.env['LOCAL_INFRA_CACHE_DIR'] ?? resolve(root, '.local-infra', 'cache'),
    LOCAL_KAFKA_PORT: String(port),
    LOCAL_KAFKA_CONTROLLER_PORT: String(port + 1),
    LOCAL_KAFKA_HEAP: '512m',
  };
  const infra = (command: 'up' | 'down'): void => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', infraCli, command, '--quiet', '--only', 'kafka'], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (result.status !== 0) throw new Error(`local-infra ${command} failed: ${result.stderr}${result.stdout}`);
  };
  infra('up');
  return {
    brokers: `127.0.0.1:${port}`,
    stop: async () => infra('down'),
    start: async () => infra('up'),
    destroy: async () => {
      infra('down');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
