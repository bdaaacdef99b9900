import {
  MongoBulkWriteError,
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoWriteConcernError,
} from 'mongodb';
import { ProjectionError } from '@sc/service-kit';
import type { ErrorContext } from '@sc/service-kit';

/** Stable codes of {@link StoreError}. */
export type StoreErrorCode =
  /** The server cannot be reached, timed out, or is failing over: retry later. */
  | 'STORE_UNAVAILABLE'
  /** Guarded writes kept losing races beyond the retry bound: retry the batch later. */
  | 'STORE_CONFLICT'
  /** The server refused a write or query for a reason retrying will not fix. */
  | 'STORE_REJECTED'
  /** A declared index conflicts with one that exists. */
  | 'INDEX_CONFLICT';

/** An error of the MongoDB store, with a stable code and a `retriable` flag. */
export class StoreError extends ProjectionError {
  declare readonly code: StoreErrorCode;

  constructor(
    code: StoreErrorCode,
    message: string,
    options: { retriable: boolean; cause?: unknown; context?: ErrorContext },
  ) {
    super(code, message, options);
  }
}

// Server error codes that mean "the server is busy, failing over or shutting down".
const RETRIABLE_SERVER_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** True for driver errors that retrying later can fix. */
export function isRetriableMongoError(error: unknown): boolean {
  if (
    error instanceof MongoNetworkError ||
    error instanceof MongoServerSelectionError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoWriteConcernError
  ) {
    return true;
  }
  if (error instanceof MongoError) {
    if (error.hasErrorLabel('RetryableWriteError') || error.hasErrorLabel('ResetPool')) return true;
    if (error.name === 'MongoPoolClearedError' || error.name === 'MongoNetworkTimeoutError') return true;
  }
  if (error instanceof MongoServerError || error instanceof MongoBulkWriteError) {
    return typeof error.code === 'number' && RETRIABLE_SERVER_CODES.has(error.code);
  }
  return false;
}

/** Wraps any error of a store operation into a {@link StoreError}. */
export function toStoreError(error: unknown, operation: string, context: ErrorContext): StoreError {
  if (error instanceof StoreError) return error;
  const retriable = isRetriableMongoError(error);
  const detail = error instanceof Error ? error.message : String(error);
  const code = error instanceof MongoError ? error.code : undefined;
  return new StoreError(retriable ? 'STORE_UNAVAILABLE' : 'STORE_REJECTED', `${operation} failed: ${detail}`, {
    retriable,
    cause: error,
    context: { ...context, operation, ...(code === undefined ? {} : { mongoCode: code }) },
  });
}
