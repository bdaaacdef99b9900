export { backoffDelay, sleep } from './backoff';
export type { BackoffPolicy } from './backoff';
export { envBoolean, envInt, envList, parseEnv } from './config';
export { ConfigError, ERROR_CODES, ProjectionError, describeError, isRetriable } from './errors';
export type { ErrorCode, ErrorContext, ProjectionErrorOptions } from './errors';
export { LOG_LEVELS, REDACTED_PATHS, createLogger } from './logger';
export type { Logger, LoggerOptions } from './logger';
export { handleShutdownSignals } from './shutdown';
export type { ShutdownOptions } from './shutdown';
