// ---------------------------------------------------------------- Kafka
//
// Apache Kafka in KRaft mode (one node, broker and controller), run from the jars
// that kafka/pom.xml resolves from Maven Central.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from './processes';
import { log, portAnswers, readPid, startDetached, waitFor } from './processes';
import type { InfraSettings } from './settings';
import { INFRA_SOURCES } from './settings';

const KAFKA_SOURCES = join(INFRA_SOURCES, 'kafka');

function ensureKafkaJars(s: InfraSettings, quiet: boolean): void {
  const marker = join(s.kafkaLibs, '.complete');
  if (existsSync(marker)) return;
  log(quiet, `resolving Apache Kafka ${s.kafkaVersion} jars from Maven Central (first run only)…`);
  rmSync(s.kafkaLibs, { recursive: true, force: true });
  const result = spawnSync(
    'mvn',
    [
      '-q',
      '-B',
      '-f',
      join(KAFKA_SOURCES, 'pom.xml'),
      'dependency:copy-dependencies',
      `-Dkafka.version=${s.kafkaVersion}`,
      `-DoutputDirectory=${s.kafkaLibs}`,
    ],
    { stdio: quiet ? 'pipe' : 'inherit', encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new Error(
      `mvn could not resolve the Kafka jars (exit ${result.status}):\n${result.stdout ?? ''}${result.stderr ?? ''}`,
    );
  }
  writeFileSync(marker, new Date().toISOString());
}

export function kafkaServerProperties(s: InfraSettings): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=${s.host}:${s.kafkaControllerPort}`,
    `listeners=PLAINTEXT://${s.host}:${s.kafkaPort},CONTROLLER://${s.host}:${s.kafkaControllerPort}`,
    `advertised.listeners=PLAINTEXT://${s.host}:${s.kafkaPort}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${join(s.kafkaData, 'logs')}`,
    'num.partitions=1',
    // Topics are declared, never created by accident.
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'group.min.session.timeout.ms=1000',
    'log.retention.hours=168',
    '',
  ].join('\n');
}

/** `java` running one of Kafka's main classes on the cached jars. */
function java(s: InfraSettings, mainClass: string, args: readonly string[]): Command {
  return [
    'java',
    [
      `-Xms${s.kafkaHeap}`,
      `-Xmx${s.kafkaHeap}`,
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dlog4j2.configurationFile=${join(KAFKA_SOURCES, 'log4j2.properties')}`,
      '-cp',
      `${s.kafkaLibs}/*`,
      mainClass,
      ...args,
    ],
  ];
}

/** Starts Kafka unless its port already answers; true when it started it. */
export async function kafkaUp(s: InfraSettings, quiet: boolean): Promise<boolean> {
  if (await portAnswers(s.host, s.kafkaPort)) {
    log(quiet, `Kafka: ${s.host}:${s.kafkaPort} already answers, reusing it`);
    return false;
  }
  ensureKafkaJars(s, quiet);
  const config = join(s.kafkaData, 'server.properties');
  mkdirSync(s.kafkaData, { recursive: true });
  writeFileSync(config, kafkaServerProperties(s));
  if (!existsSync(join(s.kafkaData, 'logs', 'meta.properties'))) {
    // `=` keeps an id that starts with "-" (1 in 64 random ids) from being read as an option.
    const clusterId = randomBytes(16).toString('base64url');
    const [cmd, args] = java(s, 'kafka.tools.StorageTool', [
      'format',
      '--standalone',
      `--cluster-id=${clusterId}`,
      '-c',
      config,
    ]);
    // StorageTool prints the whole broker config; keep it for failures only.
    execFileSync(cmd, args, { stdio: 'pipe' });
  }
  const logFile = startDetached(s, 'kafka', java(s, 'kafka.Kafka', [config]));
  log(quiet, `Kafka ${s.kafkaVersion}: starting on ${s.host}:${s.kafkaPort}, log ${logFile}`);
  await waitFor(
    'Kafka',
    async () => {
      if (!readPid(s, 'kafka')) throw new Error(`Kafka exited during start; see ${logFile}`);
      return (await portAnswers(s.host, s.kafkaPort)) && readFileSync(logFile, 'utf8').includes('Kafka Server started');
    },
    { timeoutMs: 120_000, logFile },
  );
  return true;
}
