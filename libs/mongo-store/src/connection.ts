// Connecting to the server and finding out which one answers. Errors come out as
// StoreErrors, and connection strings only ever appear redacted.
import { MongoClient } from 'mongodb';
import type { Db, MongoClientOptions } from 'mongodb';
import { toStoreError } from './errors';
import { redactMongoUrl } from './redact';

/** Options of {@link connectMongo}. */
export interface MongoConnectionOptions {
  readonly url: string;
  readonly database: string;
  readonly appName: string;
  /** How long an operation waits for a reachable server before failing (retriably). Default 5 s. */
  readonly serverSelectionTimeoutMs?: number;
  readonly clientOptions?: MongoClientOptions;
}

/** Which server answers, as {@link describeServer} finds out. */
export interface ServerInfo {
  /** True for FerretDB speaking MongoDB's protocol (its `buildInfo` has `ferretdbVersion`). */
  readonly ferretdb: boolean;
  readonly version: string;
}

/**
 * Replace statements per command on FerretDB v1: with its pool of 600 connections
 * (local-infra), room for ~9 concurrent writers.
 */
export const FERRETDB_MAX_UPDATES_PER_COMMAND = 40;

/** Default of {@link MongoConnectionOptions.serverSelectionTimeoutMs}: short, so an outage surfaces as a retriable error. */
const DEFAULT_SERVER_SELECTION_TIMEOUT_MS = 5_000;
/** Longest wait for a TCP connection (and TLS handshake) to one server. */
const CONNECT_TIMEOUT_MS = 5_000;
/** Longest silence on a socket before the driver gives the connection up: well above any one bulk write. */
const SOCKET_TIMEOUT_MS = 30_000;

/** Connects to MongoDB; the client fails fast when the server is unreachable, so outages surface as retriable errors. */
export async function connectMongo(options: MongoConnectionOptions): Promise<{ client: MongoClient; db: Db }> {
  const client = new MongoClient(options.url, {
    appName: options.appName,
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMs ?? DEFAULT_SERVER_SELECTION_TIMEOUT_MS,
    connectTimeoutMS: CONNECT_TIMEOUT_MS,
    socketTimeoutMS: SOCKET_TIMEOUT_MS,
    // The store retries whole batches itself, guarded by versions.
    retryWrites: false,
    ...options.clientOptions,
  });
  try {
    await client.connect();
  } catch (error) {
    await client.close().catch(() => undefined);
    throw toStoreError(error, 'connect', { url: redactMongoUrl(options.url) });
  }
  return { client, db: client.db(options.database) };
}

/** Which server answers: MongoDB, or FerretDB speaking its protocol. */
export async function describeServer(db: Db): Promise<ServerInfo> {
  try {
    const info = await db.admin().command({ buildInfo: 1 });
    return { ferretdb: 'ferretdbVersion' in info, version: String(info['version']) };
  } catch (error) {
    throw toStoreError(error, 'buildInfo', {});
  }
}
