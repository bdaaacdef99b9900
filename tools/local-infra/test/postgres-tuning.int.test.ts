// The local PostgreSQL's tuning for FerretDB (postgres-tuning.ts), seen through both ends:
// indexes asked for over the MongoDB wire, the PostgreSQL catalog they leave.
//
// It applies where the tests' MongoDB is this machine's FerretDB on the local-infra
// PostgreSQL (always so here, where no Docker engine runs); against a MongoDB container
// there is no PostgreSQL to tune, and the suite is skipped.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoClient } from 'mongodb';
import type { Collection, Db, Document } from 'mongodb';
import { createTestNamespace } from '@sc/testing';
import { ferretDbPostgresUrl } from '../ferretdb';
import { postgresBinDir } from '../postgres';
import { GIN_TWIN_PREFIX } from '../postgres-tuning';
import { readInfraSettings } from '../settings';

const settings = readInfraSettings();
const bin = postgresBinDir(true);
const psqlPath = bin === undefined ? undefined : join(bin, 'psql');
const mongoUrl = process.env['MONGO_URL'] ?? '';
const onLocalPostgres =
  psqlPath !== undefined &&
  existsSync(psqlPath) &&
  settings.ferretBackend === 'postgresql' &&
  new URL(mongoUrl || 'mongodb://none').host === `${settings.host}:${settings.mongoPort}`;

/** Rows of a catalog query against FerretDB's PostgreSQL database, one string per row. */
function psql(sql: string): string[] {
  const out = execFileSync(
    psqlPath!,
    ['-h', settings.host, '-p', String(settings.postgresPort), '-U', 'postgres', '-d', 'ferretdb', '-Atc', sql],
    { encoding: 'utf8' },
  );
  return out.split('\n').filter(Boolean);
}

/** `name|definition` of every index of the PostgreSQL schema FerretDB keeps a database in. */
function indexDefinitions(database: string): Map<string, string> {
  const rows = psql(
    `SELECT c.relname || '|' || pg_get_indexdef(i.indexrelid) FROM pg_index i
       JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
       JOIN pg_namespace n ON n.oid = t.relnamespace
      WHERE n.nspname = '${database}' AND t.relname NOT LIKE '\\_ferretdb\\_%'`,
  );
  return new Map(rows.map((row) => row.split('|') as [string, string]));
}

const definitionsOf = (all: Map<string, string>, fragment: string): string[] =>
  [...all.values()].filter((definition) => definition.includes(fragment));

(onLocalPostgres ? describe : describe.skip)('the local PostgreSQL tuned for FerretDB', () => {
  let client: MongoClient;
  let db: Db;
  let things: Collection<Document>;
  const ns = createTestNamespace('pg-tuning');

  beforeAll(async () => {
    client = await MongoClient.connect(mongoUrl);
    db = client.db(ns.database);
    things = db.collection('things');
    await things.insertMany([
      { key: 'a', status: 'open', rank: 1, items: { supplier: 's1' } },
      { key: 'b', status: 'open', rank: 2, items: { supplier: 's2' } },
      { key: 'c', status: 'done', rank: 3, items: { supplier: 's1' } },
    ]);
  });

  afterAll(async () => {
    await db.dropDatabase();
    await client.close();
  });

  test('given a unique index asked for over the wire, then its field gets a GIN twin that serves FerretDB equality filters', async () => {
    await things.createIndex({ key: 1 }, { unique: true, name: 'key_unique' });

    const indexes = indexDefinitions(ns.database);
    expect(definitionsOf(indexes, "USING btree (((_jsonb -> 'key'::text)))")).toHaveLength(1);
    const twins = [...indexes].filter(([name]) => name.startsWith(GIN_TWIN_PREFIX)).map(([, definition]) => definition);
    expect(twins).toEqual([expect.stringMatching(/USING gin \(\(\(_jsonb -> 'key'::text\)\) jsonb_path_ops\)/)]);
    expect(await things.findOne({ key: 'b' }, { projection: { _id: 0, rank: 1 } })).toEqual({ rank: 2 });
  });

  test("given the twin, when FerretDB's pushed-down filter runs as a prepared statement (the field name a parameter), then it can use the twin: plan_cache_mode forces a plan that sees the name", () => {
    const [table] = psql(
      `SELECT t.relname FROM pg_class t JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = '${ns.database}' AND t.relkind = 'r' AND t.relname LIKE 'things\\_%'`,
    );
    // FerretDB v1.24's shape of `{key: 'b'}`: `_jsonb->$1 @> $2`. A sequential scan is ruled out so that
    // the plan shows whether an index can serve the statement at all, whatever the table's size.
    const plan = psql(
      `SET enable_seqscan = off;
       PREPARE ferretdb_equality(text, jsonb) AS SELECT _jsonb FROM "${ns.database}"."${table}" WHERE _jsonb->$1 @> $2;
       EXPLAIN EXECUTE ferretdb_equality('key', '"b"');`,
    ).join('\n');
    expect(psql('SHOW plan_cache_mode')).toEqual(['force_custom_plan']);
    expect(plan).toContain(GIN_TWIN_PREFIX);
  });

  test('given non-unique indexes (compound, dotted path) asked for over the wire, then they stay the btrees FerretDB made, without a twin, and the finds they name still answer', async () => {
    await things.createIndex({ status: 1, rank: -1 }, { name: 'status_rank' });
    await things.createIndex({ 'items.supplier': 1 }, { name: 'items_supplier' });

    const indexes = indexDefinitions(ns.database);
    expect(definitionsOf(indexes, '_status_rank_')).toEqual([
      expect.stringMatching(/USING btree \(\(\(_jsonb -> 'status'::text\)\), \(\(_jsonb -> 'rank'::text\)\) DESC\)$/),
    ]);
    expect(definitionsOf(indexes, '_items_supplier_')).toEqual([
      expect.stringMatching(/USING btree \(\(\(\(_jsonb -> 'items'::text\) -> 'supplier'::text\)\)\)$/),
    ]);
    expect([...indexes.keys()].filter((name) => name.startsWith(GIN_TWIN_PREFIX))).toHaveLength(1);
    expect((await things.listIndexes().toArray()).map((index) => index['name']).sort()).toEqual([
      '_id_',
      'items_supplier',
      'key_unique',
      'status_rank',
    ]);
    const open = await things.find({ status: 'open' }).sort({ rank: -1 }).toArray();
    expect(open.map((doc) => doc['key'])).toEqual(['b', 'a']);
    expect(await things.countDocuments({ 'items.supplier': 's1' })).toBe(2);
  });

  test('given the indexes, when they are dropped over the wire, then they are gone from PostgreSQL too, the unique index with its twin', async () => {
    await things.dropIndex('status_rank');
    expect(definitionsOf(indexDefinitions(ns.database), '_status_rank_')).toEqual([]);
    expect((await things.listIndexes().toArray()).map((index) => index['name'])).not.toContain('status_rank');

    await things.dropIndex('key_unique');
    const left = indexDefinitions(ns.database);
    expect([...left.keys()].filter((name) => name.startsWith(GIN_TWIN_PREFIX))).toEqual([]);
    expect(definitionsOf(left, "'key'::text")).toEqual([]);
  });

  test('given FerretDB started by the local infrastructure, then every connection it holds to PostgreSQL goes over the Unix socket, none over TCP', () => {
    const [unix, tcp] = psql(
      `SELECT count(*) FILTER (WHERE client_addr IS NULL) || '|' || count(*) FILTER (WHERE client_addr IS NOT NULL)
         FROM pg_stat_activity WHERE application_name = 'FerretDB'`,
    )[0]!.split('|');
    expect(Number(tcp)).toBe(0);
    expect(Number(unix)).toBeGreaterThan(0);
  });
});

describe("FerretDB's URL of the local PostgreSQL", () => {
  const folder = mkdtempSync(join(tmpdir(), 'sc-pg-socket-'));
  const local = { ...readInfraSettings(), postgresData: folder, postgresPort: 5999, host: '127.0.0.1' };
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  test('given no socket in the data folder (a PostgreSQL started by someone else), then TCP to the port', () => {
    expect(ferretDbPostgresUrl(local)).toBe('postgres://postgres@127.0.0.1:5999/ferretdb?pool_max_conns=600');
  });

  test("given PostgreSQL's socket of the port in the data folder, then that socket", () => {
    writeFileSync(join(folder, '.s.PGSQL.5999'), '');
    expect(ferretDbPostgresUrl(local)).toBe(
      `postgres://postgres@/ferretdb?host=${encodeURIComponent(folder)}&port=5999&pool_max_conns=600`,
    );
  });
});
