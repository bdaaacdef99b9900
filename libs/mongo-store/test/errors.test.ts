// Classification of store errors, on REAL driver error objects wrapped as the driver
// wraps them. Bulk write errors come out of the driver's own `collection.bulkWrite`
// (unordered, as the store calls it): only `executeOperation`, the step that would
// send a command to the server, is replaced; it answers with a server reply or throws
// what the connection layer would throw. Nothing is running: no server is needed.
import {
  MongoBulkWriteError,
  MongoClient,
  MongoNetworkError,
  MongoNetworkTimeoutError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoWriteConcernError,
} from 'mongodb';
import type { AnyBulkWriteOperation, Document } from 'mongodb';
import {
  DOCUMENT_CAUSED_CODES,
  DUPLICATE_KEY,
  StoreError,
  documentCausedWriteErrors,
  isRetriableMongoError,
  toStoreError,
} from '../src';

jest.mock('mongodb/lib/operations/execute_operation', () => ({
  ...jest.requireActual<object>('mongodb/lib/operations/execute_operation'),
  executeOperation: jest.fn(),
}));

const { executeOperation } = jest.requireMock<{ executeOperation: jest.Mock }>(
  'mongodb/lib/operations/execute_operation',
);
// Driver classes the package does not export, from the same module registry as 'mongodb'.
const { PoolClearedError } = jest.requireActual<{
  PoolClearedError: new (pool: { address: string; serverError?: Error }, message?: string) => Error;
}>('mongodb/lib/cmap/errors');
const { ServerDescription } = jest.requireActual<{
  ServerDescription: new (address: string, hello?: Document, options?: { error?: Error }) => object;
}>('mongodb/lib/sdam/server_description');
const { TopologyDescription } = jest.requireActual<{
  TopologyDescription: new (type: string, servers: Map<string, object>) => object;
}>('mongodb/lib/sdam/topology_description');

const COLLECTION = 'feed_items';
const OPERATION = `bulkWrite to ${COLLECTION}`;
const context = { collection: COLLECTION };

// A client whose topology is a stub: enough for the driver to build and run bulk operations.
const client = new MongoClient('mongodb://127.0.0.1:27017');
Object.assign(client, { topology: { lastHello: () => ({}), s: { options: {} } } });
const collection = client.db('projections').collection(COLLECTION);

/**
 * Three statements as the store sends them, unordered: the driver sends the inserts
 * (operations 0 and 2) in one `insert` command and the replace (operation 1) in one
 * `update` command, and maps each command's write error indexes back to these.
 */
const operations: AnyBulkWriteOperation[] = [
  { insertOne: { document: { item_id: 'a', entity_version: 1 } } },
  { replaceOne: { filter: { item_id: 'b', entity_version: 1 }, replacement: { item_id: 'b', entity_version: 2 } } },
  { insertOne: { document: { item_id: 'c', entity_version: 1 } } },
];

/** Runs the driver's bulkWrite; each command gets the next reply (a document) or throws it (an error). */
async function bulkWriteError(...replies: (Document | Error)[]): Promise<MongoBulkWriteError> {
  executeOperation.mockImplementation(async () => {
    const reply = replies.shift();
    if (reply === undefined) throw new Error('test bug: more commands than replies');
    if (reply instanceof Error) throw reply;
    return reply;
  });
  try {
    await collection.bulkWrite(operations, { ordered: false });
  } catch (error) {
    if (error instanceof MongoBulkWriteError) return error;
    throw error;
  }
  throw new Error('test bug: the bulk write succeeded');
}

const insertsOk: Document = { ok: 1, n: 2 };
const replaceOk: Document = { ok: 1, n: 1, nModified: 1 };
/** A reply with write errors at command-local indexes. */
function withWriteErrors(n: number, ...writeErrors: { index: number; code: number; errmsg: string }[]): Document {
  return { ok: 1, n, writeErrors };
}

function serverError(code: number, errmsg = `server says ${code}`, extra: Document = {}): MongoServerError {
  return new MongoServerError({ ok: 0, code, errmsg, ...extra });
}

function expectRetriable(error: unknown, retryReason: string, operation = OPERATION): StoreError {
  expect(isRetriableMongoError(error)).toBe(true);
  const storeError = toStoreError(error, operation, context);
  expect(storeError).toBeInstanceOf(StoreError);
  expect(storeError.code).toBe('STORE_UNAVAILABLE');
  expect(storeError.retriable).toBe(true);
  expect(storeError.context['retryReason']).toBe(retryReason);
  expect(storeError.cause).toBe(error);
  return storeError;
}

function expectRejected(error: unknown, mongoCode: number): StoreError {
  expect(isRetriableMongoError(error)).toBe(false);
  const storeError = toStoreError(error, OPERATION, context);
  expect(storeError.code).toBe('STORE_REJECTED');
  expect(storeError.retriable).toBe(false);
  expect(storeError.context['mongoCode']).toBe(mongoCode);
  return storeError;
}

// The brief's list, written out here on purpose: the test notices any change to the module's list.
const DOCUMENT_CAUSED: [string, number][] = [
  ['BSONObjectTooLarge', 10334],
  ['document after update too large', 17419],
  ['document to upsert too large', 17420],
  ['DocumentValidationFailure', 121],
  ['DollarPrefixedFieldName', 52],
  ['InvalidIdField', 53],
  ['EmptyFieldName', 56],
  ['DottedFieldName', 57],
  ['KeyTooLong', 17280],
];

describe('the document-caused list', () => {
  it('holds exactly the codes proven to be caused by one document', () => {
    expect(Object.values(DOCUMENT_CAUSED_CODES).sort((a, b) => a - b)).toEqual(
      DOCUMENT_CAUSED.map(([, code]) => code).sort((a, b) => a - b),
    );
    expect(Object.values(DOCUMENT_CAUSED_CODES)).not.toContain(DUPLICATE_KEY);
  });
});

describe('retriable failures', () => {
  it('network error: reset connection', () => {
    const storeError = expectRetriable(new MongoNetworkError('read ECONNRESET'), 'network');
    expect(storeError.message).toBe(`${OPERATION} failed: read ECONNRESET`);
  });

  it('network timeout', () => {
    expectRetriable(new MongoNetworkTimeoutError('connection 4 to 127.0.0.1:27017 timed out'), 'network timeout');
  });

  it('pool cleared after another operation failed', () => {
    const pool = { address: '127.0.0.1:27017', serverError: new MongoNetworkError('read ECONNRESET') };
    expectRetriable(new PoolClearedError(pool), 'pool cleared');
  });

  it('server selection timed out, with the server description error as cause', () => {
    const down = new ServerDescription('127.0.0.1:27017', undefined, {
      error: new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017'),
    });
    const topology = new TopologyDescription('Single', new Map([['127.0.0.1:27017', down]]));
    const error = new MongoServerSelectionError('Server selection timed out after 30000 ms', topology as never);
    const storeError = expectRetriable(error, 'server selection', 'ping');
    expect(storeError.message).toContain('connect ECONNREFUSED 127.0.0.1:27017');
  });

  it('client not connected, topology closed', () => {
    expectRetriable(
      new MongoNotConnectedError('MongoClient must be connected to perform this operation'),
      'not connected',
    );
    expectRetriable(new MongoTopologyClosedError(), 'not connected');
  });

  it('write concern failure (code 64), as the server layer throws it', () => {
    const error = new MongoWriteConcernError({
      ok: 1,
      n: 1,
      writeConcernError: { code: 64, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out' },
    });
    const storeError = expectRetriable(error, 'write concern');
    expect(storeError.context['mongoCode']).toBe(64);
  });

  it.each([
    [10107, 'NotWritablePrimary'],
    [13435, 'NotPrimaryNoSecondaryOk'],
    [13436, 'NotPrimaryOrSecondary'],
    [189, 'PrimarySteppedDown'],
    [91, 'ShutdownInProgress'],
    [11600, 'InterruptedAtShutdown'],
    [11602, 'InterruptedDueToReplStateChange'],
    [11601, 'Interrupted'],
    [24, 'LockTimeout'],
    [46, 'LockBusy'],
    [50, 'MaxTimeMSExpired'],
    [112, 'WriteConflict'],
    [262, 'ExceededTimeLimit'],
    [13388, 'StaleConfig'],
    [16500, 'RequestRateTooLarge'],
    [1, 'InternalError'],
  ])('server code %d (%s)', (code, codeName) => {
    const storeError = expectRetriable(serverError(code), `server code ${code}`);
    expect(storeError.context['mongoCode']).toBe(code);
    expect(storeError.context['mongoCodeName']).toBe(codeName);
  });

  it('authorization failure (13): an operator must fix it, nothing is skipped meanwhile', () => {
    const error = serverError(13, 'not authorized on projections to execute command { insert: "feed_items" }', {
      codeName: 'Unauthorized',
    });
    expectRetriable(error, 'server code 13');
  });

  it('an unknown server code', () => {
    expectRetriable(serverError(424242), 'server code 424242');
  });

  it('an unknown error, and a thrown non-error', () => {
    const storeError = expectRetriable(new Error('something odd'), 'unknown');
    expect(storeError.message).toBe(`${OPERATION} failed: something odd`);
    expectRetriable('a string', 'unknown');
  });

  it('a retryable label wins over a document-caused code', () => {
    expectRetriable(serverError(121, 'odd', { errorLabels: ['RetryableWriteError'] }), 'retryable label');
  });
});

describe('document-caused failures', () => {
  it.each(DOCUMENT_CAUSED)('a server error %s (%d) is not retriable', (_name, code) => {
    expectRejected(serverError(code), code);
  });

  it.each(DOCUMENT_CAUSED)(
    'a bulk write error %s (%d) is not retriable and names the operation',
    async (_name, code) => {
      const error = await bulkWriteError(
        withWriteErrors(1, { index: 1, code, errmsg: `refused: ${code}` }), // operation 2 of the call
        replaceOk,
      );
      const storeError = expectRejected(error, code);
      expect(storeError.context['index']).toBe(2);
      expect(storeError.message).toContain(`refused: ${code}`);
      expect(storeError.message).toContain('operation 2');
    },
  );

  it('a document-caused code found down a cause chain', () => {
    const error = new Error('save failed', { cause: serverError(121, 'Document failed validation') });
    const storeError = expectRejected(error, 121);
    expect(storeError.message).toBe(
      `${OPERATION} failed: save failed: Document failed validation (code 121 DocumentValidationFailure)`,
    );
  });
});

describe('bulk write errors', () => {
  it('wrapping a network error: retriable, with the network error message', async () => {
    const error = await bulkWriteError(new MongoNetworkError('read ECONNRESET'));
    const storeError = expectRetriable(error, 'network');
    expect(storeError.message).toBe(`${OPERATION} failed: read ECONNRESET`);
    expect(documentCausedWriteErrors(error)).toBeUndefined();
  });

  it('wrapping a network error after an earlier command had a document-caused write error: retriable', async () => {
    const error = await bulkWriteError(
      withWriteErrors(1, { index: 0, code: 121, errmsg: 'Document failed validation' }),
      new MongoNetworkError('read ECONNRESET'),
    );
    expectRetriable(error, 'network');
    expect(documentCausedWriteErrors(error)).toBeUndefined();
  });

  it('wrapping a not-primary server error: retriable', async () => {
    const error = await bulkWriteError(serverError(10107, 'not primary'));
    expectRetriable(error, 'server code 10107');
  });

  it('a document-caused write error next to an unknown one: retriable', async () => {
    const error = await bulkWriteError(
      withWriteErrors(
        0,
        { index: 0, code: 121, errmsg: 'Document failed validation' },
        { index: 1, code: 2, errmsg: 'BadValue: something' },
      ),
      replaceOk,
    );
    expectRetriable(error, 'server code 2');
    expect(documentCausedWriteErrors(error)).toBeUndefined();
  });

  it('only duplicate keys: documentCausedWriteErrors returns them, and they are retriable', async () => {
    const error = await bulkWriteError(
      withWriteErrors(
        0,
        { index: 0, code: DUPLICATE_KEY, errmsg: 'E11000 duplicate key error collection: projections.feed_items' },
        { index: 1, code: DUPLICATE_KEY, errmsg: 'E11000 duplicate key error (second)' },
      ),
      replaceOk,
    );
    expect(documentCausedWriteErrors(error)).toEqual([
      { index: 0, code: 11000, errmsg: 'E11000 duplicate key error collection: projections.feed_items' },
      { index: 2, code: 11000, errmsg: 'E11000 duplicate key error (second)' },
    ]);
    expectRetriable(error, 'duplicate key');
  });

  it('duplicate keys next to a document-caused error: rejected, pointing at the document-caused one', async () => {
    const error = await bulkWriteError(withWriteErrors(1, { index: 0, code: DUPLICATE_KEY, errmsg: 'E11000' }), {
      ok: 1,
      n: 0,
      writeErrors: [{ index: 0, code: 52, errmsg: "The dollar ($) prefixed field '$x' is not valid" }],
    });
    expect(documentCausedWriteErrors(error)).toEqual([
      { index: 0, code: 11000, errmsg: 'E11000' },
      { index: 1, code: 52, errmsg: "The dollar ($) prefixed field '$x' is not valid" },
    ]);
    const storeError = expectRejected(error, 52);
    expect(storeError.context['index']).toBe(1);
    expect(storeError.message).toContain("The dollar ($) prefixed field '$x' is not valid");
  });

  it('with a write concern error thrown by the server layer: retriable, even beside document-caused write errors', async () => {
    const reply = {
      ok: 1,
      n: 1,
      writeErrors: [{ index: 0, code: 121, errmsg: 'Document failed validation' }],
      writeConcernError: { code: 64, codeName: 'WriteConcernFailed', errmsg: 'waiting for replication timed out' },
    };
    const error = await bulkWriteError(new MongoWriteConcernError(reply), replaceOk);
    expectRetriable(error, 'write concern');
    expect(documentCausedWriteErrors(error)).toBeUndefined();
  });

  it('with a write concern error in a reply: retriable', async () => {
    const error = await bulkWriteError(insertsOk, {
      ...replaceOk,
      writeConcernError: { code: 100, codeName: 'UnsatisfiableWriteConcern', errmsg: 'Not enough data-bearing nodes' },
    });
    const storeError = expectRetriable(error, 'write concern');
    expect(storeError.context['mongoCode']).toBe(100);
    expect(documentCausedWriteErrors(error)).toBeUndefined();
  });
});

describe('documentCausedWriteErrors', () => {
  it('is undefined for anything but a bulk write error', () => {
    expect(documentCausedWriteErrors(serverError(121))).toBeUndefined();
    expect(documentCausedWriteErrors(new Error('x'))).toBeUndefined();
    expect(documentCausedWriteErrors(undefined)).toBeUndefined();
  });
});

describe('toStoreError', () => {
  it('returns a StoreError as it is', () => {
    const original = new StoreError('STORE_CONFLICT', 'kept losing races', { retriable: true });
    expect(toStoreError(original, OPERATION, context)).toBe(original);
  });

  it('keeps the given context and adds the operation', () => {
    const storeError = toStoreError(new MongoNetworkError('read ECONNRESET'), OPERATION, {
      collection: 'x',
      partition: 3,
    });
    expect(storeError.context).toMatchObject({ collection: 'x', partition: 3, operation: OPERATION });
  });
});
