import {
  MongoBulkWriteError,
  MongoError,
  MongoErrorLabel,
  MongoInvalidArgumentError,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoWriteConcernError,
} from 'mongodb';
import { ProjectionError } from '@sc/service-kit';
import type { ErrorCode, ErrorContext } from '@sc/service-kit';

/** Stable codes of {@link StoreError}. */
export type StoreErrorCode = Extract<
  ErrorCode,
  /** The server cannot be reached, timed out, is failing over, or failed for a reason not proven permanent: retry later. */
  | 'STORE_UNAVAILABLE'
  /** Guarded writes kept losing races beyond the retry bound: retry the batch later. */
  | 'STORE_CONFLICT'
  /** The server refused a document for a reason retrying will not fix (see {@link DOCUMENT_CAUSED_CODES}). */
  | 'STORE_REJECTED'
  /** A declared index conflicts with one that exists. */
  | 'INDEX_CONFLICT'
>;

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

/**
 * The one list of server error codes proven to be caused by ONE document of a write:
 * writing the same document again fails the same way, so these, and only these, are
 * not retriable. Everything else (network, failover, timeouts, write concern,
 * authorization, throttling, FerretDB internal errors, any unknown code or error) is
 * retriable: unknown means retriable.
 *
 * Names are those of MongoDB's src/mongo/base/error_codes.yml unless said otherwise.
 */
export const DOCUMENT_CAUSED_CODES = Object.freeze({
  /** The document exceeds the 16 MiB BSON limit. */
  BSONObjectTooLarge: 10334,
  /**
   * Not in error_codes.yml: the update stage's `uassert(17419, "Resulting document after
   * update is larger than 16777216")`; the name here is ours.
   */
  DocumentAfterUpdateTooLarge: 17419,
  /**
   * Not in error_codes.yml: the upsert stage's `uassert(17420, "Document to upsert is larger
   * than 16777216")`; the name here is ours.
   */
  DocumentToUpsertTooLarge: 17420,
  /** The document fails the collection's validator (`$jsonSchema` etc.). */
  DocumentValidationFailure: 121,
  /** A field name of the document starts with `$` where storage forbids it. */
  DollarPrefixedFieldName: 52,
  /** The document's `_id` is invalid (e.g. an array or a regular expression). */
  InvalidIdField: 53,
  /** The document has an empty field name where storage forbids it. */
  EmptyFieldName: 56,
  /** A field name of the document contains a `.` where storage forbids it. */
  DottedFieldName: 57,
  /**
   * An index key of the document exceeds 1024 bytes. Servers since 4.2 (FCV 4.2) no longer
   * raise it; error_codes.yml now lists the code as obsolete.
   */
  KeyTooLong: 17280,
} as const);

/** The name of a {@link DOCUMENT_CAUSED_CODES} entry. */
export type DocumentCausedCodeName = keyof typeof DOCUMENT_CAUSED_CODES;

/** E11000: a unique index already holds the key. The store treats it as a lost insert race (re-read, re-fold). */
export const DUPLICATE_KEY = 11000;

/**
 * Server codes known to be transient. Informative only: they name the `retryReason`
 * of a {@link StoreError}; any code outside {@link DOCUMENT_CAUSED_CODES} is retriable
 * whether listed here or not.
 */
export const TRANSIENT_SERVER_CODES = Object.freeze({
  /** FerretDB reports failures of its backend (PostgreSQL, SQLite) as InternalError. */
  InternalError: 1,
  HostUnreachable: 6,
  HostNotFound: 7,
  /** An operator must grant the role; nothing is skipped meanwhile. */
  Unauthorized: 13,
  LockTimeout: 24,
  LockBusy: 46,
  MaxTimeMSExpired: 50,
  /** Called WriteConcernTimeout since MongoDB 8.1. */
  WriteConcernFailed: 64,
  NetworkTimeout: 89,
  ShutdownInProgress: 91,
  WriteConflict: 112,
  PrimarySteppedDown: 189,
  ExceededTimeLimit: 262,
  SocketException: 9001,
  NotWritablePrimary: 10107,
  InterruptedAtShutdown: 11600,
  Interrupted: 11601,
  InterruptedDueToReplStateChange: 11602,
  StaleConfig: 13388,
  NotPrimaryNoSecondaryOk: 13435,
  NotPrimaryOrSecondary: 13436,
  /** Throttling: Azure Cosmos DB's "request rate is large" (TooManyRequests). */
  RequestRateTooLarge: 16500,
} as const);

const DOCUMENT_CAUSED = new Map<number, string>(
  Object.entries(DOCUMENT_CAUSED_CODES).map(([name, code]) => [code, name]),
);
const CODE_NAMES = new Map<number, string>([
  ...Object.entries(TRANSIENT_SERVER_CODES).map(([name, code]): [number, string] => [code, name]),
  [DUPLICATE_KEY, 'DuplicateKey'],
  ...DOCUMENT_CAUSED,
]);

/** Error labels by which the driver or the server say "try again". */
const RETRY_LABELS: readonly string[] = [
  MongoErrorLabel.RetryableWriteError,
  MongoErrorLabel.ResetPool,
  MongoErrorLabel.PoolRequstedRetry,
  MongoErrorLabel.TransientTransactionError,
];

/** How far cause chains are followed; guards against cycles and absurd nesting. */
const MAX_CAUSE_DEPTH = 8;

/** True when `code` is one of {@link DOCUMENT_CAUSED_CODES}. */
export function isDocumentCausedCode(code: unknown): boolean {
  return typeof code === 'number' && DOCUMENT_CAUSED.has(code);
}

/** Why an error was found retriable: a family, or the server code. */
export type RetryReason =
  | 'network'
  | 'network timeout'
  | 'pool cleared'
  | 'server selection'
  | 'not connected'
  | 'operation timeout'
  | 'write concern'
  | 'retryable label'
  | 'duplicate key'
  | 'declared retriable'
  | `server code ${number}`
  | 'unknown';

/** One write error of a bulk write, as {@link documentCausedWriteErrors} returns it. */
export interface DocumentWriteError {
  /** Index of the operation in the `bulkWrite` call. */
  readonly index: number;
  /** A {@link DOCUMENT_CAUSED_CODES} code, or {@link DUPLICATE_KEY}. */
  readonly code: number;
  readonly errmsg: string;
}

type Verdict =
  | { readonly retriable: true; readonly reason: RetryReason; readonly code?: number }
  | { readonly retriable: false; readonly code?: number; readonly index?: number; readonly errmsg?: string };

const UNKNOWN: Verdict = { retriable: true, reason: 'unknown' };

/**
 * The write errors of a bulk write error when every one of them is document-caused
 * ({@link DOCUMENT_CAUSED_CODES}) or a duplicate key ({@link DUPLICATE_KEY}); otherwise
 * (another error, no write errors, a write concern error, a wrapped network or server
 * error, a write error without an index) undefined. Only duplicate keys: lost insert
 * races. Any other code: those documents are refused; the rest of the unordered
 * command was applied.
 */
export function documentCausedWriteErrors(error: unknown): readonly DocumentWriteError[] | undefined {
  if (!isBulkWriteError(error) || writeConcernErrorCode(error) !== undefined || wrappedError(error) !== undefined)
    return undefined;
  const writeErrors = listWriteErrors(error);
  if (writeErrors.length === 0) return undefined;
  const found: DocumentWriteError[] = [];
  for (const { index, code, errmsg } of writeErrors) {
    if (typeof index !== 'number' || typeof code !== 'number') return undefined;
    if (!isDocumentCausedCode(code) && code !== DUPLICATE_KEY) return undefined;
    found.push({ index, code, errmsg: errmsg ?? '' });
  }
  return found;
}

/** The message of the driver's oversized-document error (bulk/unordered.ts, bulk/ordered.ts). */
const DRIVER_TOO_LARGE = /^Document is larger than the maximum size (\d+)$/;

/**
 * The driver's own refusal of an oversized document: before it sends a bulk write, it
 * measures each statement and throws `MongoInvalidArgumentError('Document is larger
 * than the maximum size <maxBsonObjectSize>')`, with no server code and no operation
 * index, so {@link toStoreError} cannot tell it from any other error and calls it
 * retriable. It is caused by one document all the same: the same document is refused
 * again however often it is sent. Returns the limit the driver applied, or undefined
 * for any other error. The store's write path checks sizes before writing and uses
 * this only as a backstop (a server announcing a smaller limit).
 */
export function driverDocumentSizeLimit(error: unknown): number | undefined {
  const isInvalidArgument =
    error instanceof MongoInvalidArgumentError ||
    (error instanceof Error && error.name === 'MongoInvalidArgumentError');
  if (!isInvalidArgument) return undefined;
  const match = DRIVER_TOO_LARGE.exec(error.message);
  return match === null ? undefined : Number(match[1]);
}

/** True unless the error is proven document-caused ({@link DOCUMENT_CAUSED_CODES}) or declared non-retriable. */
export function isRetriableMongoError(error: unknown): boolean {
  return classify(error, new Set()).retriable;
}

/**
 * Wraps any error of a store operation into a {@link StoreError}: STORE_REJECTED (not
 * retriable) for document-caused errors, STORE_UNAVAILABLE (retriable) for everything
 * else. A StoreError is returned as it is.
 */
export function toStoreError(error: unknown, operation: string, context: ErrorContext): StoreError {
  if (error instanceof StoreError) return error;
  const verdict = classify(error, new Set());
  const code = verdict.code;
  const codeName = code === undefined ? undefined : CODE_NAMES.get(code);
  const codeContext = {
    ...(code === undefined ? {} : { mongoCode: code }),
    ...(codeName === undefined ? {} : { mongoCodeName: codeName }),
  };
  if (verdict.retriable) {
    return new StoreError('STORE_UNAVAILABLE', `${operation} failed: ${describeChain(error)}`, {
      retriable: true,
      cause: error,
      context: { ...context, operation, ...codeContext, retryReason: verdict.reason },
    });
  }
  // A bulk write error's message is its first write error's: name the refused one instead.
  const what = verdict.errmsg === undefined ? describeChain(error) : verdict.errmsg || 'write refused';
  const where = [
    ...(code === undefined ? [] : [`code ${code}${codeName === undefined ? '' : ` ${codeName}`}`]),
    ...(verdict.index === undefined ? [] : [`operation ${verdict.index}`]),
  ];
  const detail = where.length === 0 ? what : `${what} (${where.join(', ')})`;
  return new StoreError('STORE_REJECTED', `${operation} failed: ${detail}`, {
    retriable: false,
    cause: error,
    context: {
      ...context,
      operation,
      ...codeContext,
      ...(verdict.index === undefined ? {} : { index: verdict.index }),
    },
  });
}

function classify(error: unknown, seen: Set<unknown>): Verdict {
  if (error === null || typeof error !== 'object' || seen.has(error) || seen.size >= MAX_CAUSE_DEPTH) return UNKNOWN;
  seen.add(error);
  if (error instanceof ProjectionError)
    return error.retriable ? { retriable: true, reason: 'declared retriable' } : { retriable: false };
  if (isBulkWriteError(error)) return classifyBulk(error, seen);
  const family = transientFamily(error);
  const code = numericCode(error);
  if (family !== undefined) return { retriable: true, reason: family, ...(code === undefined ? {} : { code }) };
  if (code !== undefined) {
    if (isDocumentCausedCode(code)) return { retriable: false, code };
    return { retriable: true, reason: `server code ${code}`, code };
  }
  const cause = (error as { cause?: unknown }).cause;
  return cause === undefined ? UNKNOWN : classify(cause, seen);
}

function classifyBulk(error: BulkLike, seen: Set<unknown>): Verdict {
  const concernCode = writeConcernErrorCode(error);
  if (concernCode !== undefined)
    return { retriable: true, reason: 'write concern', ...(concernCode === null ? {} : { code: concernCode }) };
  // The driver wraps an error thrown while executing a command (network, server
  // selection, a top-level server error) into a MongoBulkWriteError: that error is the cause.
  const wrapped = wrappedError(error);
  if (wrapped !== undefined) return classify(wrapped, seen);
  const writeErrors = listWriteErrors(error);
  if (writeErrors.length === 0) {
    const code = numericCode(error);
    return code === undefined ? UNKNOWN : { retriable: true, reason: `server code ${code}`, code };
  }
  const other = writeErrors.find((e) => !isDocumentCausedCode(e.code) && e.code !== DUPLICATE_KEY);
  if (other !== undefined)
    return typeof other.code === 'number'
      ? { retriable: true, reason: `server code ${other.code}`, code: other.code }
      : UNKNOWN;
  const refused = writeErrors.find((e): e is WriteErrorLike & { readonly code: number } =>
    isDocumentCausedCode(e.code),
  );
  if (refused === undefined) return { retriable: true, reason: 'duplicate key', code: DUPLICATE_KEY };
  return {
    retriable: false,
    code: refused.code,
    ...(typeof refused.index === 'number' ? { index: refused.index } : {}),
    errmsg: refused.errmsg ?? '',
  };
}

/** The transient family of a driver error, by class or (for another copy of the driver) by name. */
function transientFamily(error: object): RetryReason | undefined {
  if (!(error instanceof Error)) return undefined;
  const name = error.name;
  if (error instanceof MongoWriteConcernError || name === 'MongoWriteConcernError') return 'write concern';
  if (name === 'MongoPoolClearedError' || name === 'PoolClearedOnNetworkError') return 'pool cleared';
  if (error instanceof MongoNetworkTimeoutError || name === 'MongoNetworkTimeoutError') return 'network timeout';
  if (error instanceof MongoNetworkError || name === 'MongoNetworkError') return 'network';
  if (error instanceof MongoServerSelectionError || name === 'MongoServerSelectionError') return 'server selection';
  if (
    error instanceof MongoNotConnectedError ||
    error instanceof MongoTopologyClosedError ||
    name === 'MongoNotConnectedError' ||
    name === 'MongoTopologyClosedError'
  )
    return 'not connected';
  if (error instanceof MongoOperationTimeoutError || name === 'MongoOperationTimeoutError') return 'operation timeout';
  if (error instanceof MongoError && RETRY_LABELS.some((label) => error.hasErrorLabel(label))) return 'retryable label';
  return undefined;
}

interface WriteErrorLike {
  readonly code?: unknown;
  readonly index?: unknown;
  readonly errmsg?: string;
}

interface BulkLike extends Error {
  readonly code?: unknown;
  readonly writeErrors?: unknown;
  readonly err?: unknown;
  readonly errorResponse?: unknown;
  readonly result?: unknown;
}

function isBulkWriteError(error: unknown): error is BulkLike {
  return error instanceof MongoBulkWriteError || (error instanceof Error && error.name === 'MongoBulkWriteError');
}

/** The error the driver wrapped into this bulk write error, if it wrapped one. */
function wrappedError(error: BulkLike): Error | undefined {
  if (error.errorResponse instanceof Error) return error.errorResponse;
  return error.cause instanceof Error ? error.cause : undefined;
}

/**
 * The code of the bulk write's write concern error (`err`, or the result's write concern
 * errors); null when there is one without a numeric code; undefined when there is none.
 */
function writeConcernErrorCode(error: BulkLike): number | null | undefined {
  let concern: unknown = error.err;
  const result = error.result as { getWriteConcernError?: () => unknown } | undefined;
  if (concern == null && typeof result?.getWriteConcernError === 'function') concern = result.getWriteConcernError();
  if (concern == null) return undefined;
  return numericCode(concern) ?? null;
}

function listWriteErrors(error: BulkLike): readonly WriteErrorLike[] {
  const writeErrors = error.writeErrors;
  if (writeErrors == null) return [];
  const list: unknown[] = Array.isArray(writeErrors) ? writeErrors : [writeErrors];
  return list.filter((e): e is WriteErrorLike => e !== null && typeof e === 'object');
}

function numericCode(error: object): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (error !== null && typeof error === 'object') {
    const { message, errmsg } = error as { message?: unknown; errmsg?: unknown };
    if (typeof message === 'string') return message;
    if (typeof errmsg === 'string') return errmsg;
  }
  return String(error);
}

/** The next error down the chain: `cause`, or the error a bulk write error wraps. */
function innerError(error: unknown): unknown {
  if (isBulkWriteError(error)) return wrappedError(error);
  return error instanceof Error ? error.cause : undefined;
}

/** The error's message, followed by its innermost cause's message unless the message already says it. */
function describeChain(error: unknown): string {
  const outer = messageOf(error);
  let innermost: unknown = error;
  const seen = new Set<unknown>([error]);
  for (let next = innerError(error); next != null && !seen.has(next); next = innerError(next)) {
    seen.add(next);
    innermost = next;
  }
  const inner = messageOf(innermost);
  if (innermost === error || inner === '' || outer.includes(inner)) return outer;
  return outer === '' ? inner : `${outer}: ${inner}`;
}
