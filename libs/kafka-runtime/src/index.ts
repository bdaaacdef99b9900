export { ChunkStopped, applyIsolating, decodeChunk, judgeChunk } from './chunk';
export type { ChunkRecord, DecodedChunk, IsolatingOptions, RecordVerdict } from './chunk';
export { createChunkProcessor } from './chunk-processor';
export type { ChunkProcessor, ChunkProcessorOptions, ChunkResult, ChunkSource } from './chunk-processor';
export {
  DEAD_LETTER_REFUSED,
  batchesUnder,
  deadLetterRefusal,
  messageBytes,
  operatorActionOf,
  sendDeadLetters,
} from './dead-letter-sender';
export type { DeadLetterProducer } from './dead-letter-sender';
export { CONSUMER_RESTART_MESSAGE, createConsumerRecovery, isInfrastructureCrash } from './consumer-recovery';
export type { ConsumerRecovery, ConsumerRecoveryOptions } from './consumer-recovery';
export { keepHeartbeating } from './heartbeat';
export type { HeartbeatKeeper } from './heartbeat';
export { createRetrier } from './retrier';
export type { Attempted, Retrier, RetrierOptions, RunOptions } from './retrier';
export { REQUIRED_WORKER_ENV_VARS, WORKER_ENV_VARS, createWorkerEnvSchema, loadWorkerConfig } from './config';
export type { WorkerConfig, WorkerDefaults } from './config';
export { buildDeadLetterMessage, deadLetterPartitioner } from './dead-letter';
export type { DeadLetterCause, RecordOrigin } from './dead-letter';
export { startHealthServer } from './health-server';
export type { HealthServer, HealthSource } from './health-server';
export { fetchGroupLag } from './group-lag';
export type { PartitionLag } from './group-lag';
export { createKafkaClient, createToolKafkaClient, toKafkaError } from './kafka-client';
export type { ToolKafkaOptions } from './kafka-client';
export { createRenewingProducer } from './renewing-producer';
export type { ProducerBatch, RenewingProducer } from './renewing-producer';
export { TOOL_SEND_ATTEMPTS, createToolProducer, describeResend } from './tool-producer';
export type { ToolProducer, ToolProducerOptions } from './tool-producer';
export { RECORD_AGE_BUCKETS_SECONDS, createWorkerMetrics, sumMetricSamples } from './metrics';
export type { WorkerMetrics } from './metrics';
export { loadWorkerAndSinkConfig, runProjectionWorkerMain } from './run-worker';
export type { SinkAdapter, WorkerMainOptions } from './run-worker';
export { createProjectionWorker } from './worker';
export type { ProjectionWorker, ProjectionWorkerOptions, SinkHandle } from './worker';
export { isRetriableKafkaError, provisionTopics } from './topics';
export type { ProvisionOptions, ProvisionResult } from './topics';
export { createPauseFence } from './pause-fence';
export type { PauseFence, PauseFenceOptions } from './pause-fence';
export type { PauseAcknowledgement, PauseGate, PauseRequest } from './pause-gate';
