// ---------------------------------------------------------------- PostgreSQL tuned for FerretDB v1
//
// FerretDB v1.24 pushes a top-level equality filter `{f: v}` down to PostgreSQL as
// `_jsonb->$1 @> $2`, and indexes a field `f` as a btree on `(_jsonb->'f')`. A btree
// cannot serve `@>`, so every pushed-down find and every guarded update scans the
// whole table: the read models slow down in proportion to their size. Two settings
// of the local PostgreSQL make those filters use an index, without touching FerretDB
// or the workers:
//
// 1. each unique btree FerretDB creates gets a GIN twin on the expression of its first
//    field, when that is a top-level field (`jsonb_path_ops`, which serves exactly
//    `@>`), made by an event trigger the moment FerretDB creates the btree, whoever
//    asked for the index. Unique indexes are the identities the workers (and point
//    reads) look documents up by; each twin costs every write that touches its field,
//    so the non-unique query indexes (status, role…) get none;
// 2. `plan_cache_mode = force_custom_plan`: FerretDB passes the field name as a
//    statement parameter, and PostgreSQL's generic plan of `_jsonb->$1` can never match
//    an index on `_jsonb->'f'`; a custom plan sees the literal name.
//
// The twins are built with `fastupdate = off`: with GIN's pending list, a collection
// filled quickly keeps up to 4 MB of unsorted entries that every lookup scans until a
// vacuum merges them (measured: a worker at a third of its rate after 100,000 inserts).

/** Prefix of the GIN twins' names: the mirror function owns exactly the indexes named so. */
export const GIN_TWIN_PREFIX = 'sc_gin_';

/** The settings passed to `postgres -c` for FerretDB (see the file comment). */
export const FERRETDB_POSTGRES_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
  plan_cache_mode: 'force_custom_plan',
  // A collection filled in one go (a rebuild's shadow, a bulk import) is planned with the
  // statistics of an empty table, as a sequential scan, until it is analyzed: analyze soon.
  autovacuum_naptime: '5s',
  autovacuum_analyze_scale_factor: '0.02',
  autovacuum_vacuum_scale_factor: '0.05',
});

/**
 * Creates (idempotently) the function that gives every unique FerretDB btree index
 * on a top-level field its GIN twin and drops twins whose btree is gone, the event trigger
 * that runs it after each CREATE INDEX / DROP INDEX, and runs it once for the indexes
 * that existed before. `_id` is left out: FerretDB addresses rows by `_jsonb->'_id' =`,
 * which its own btree serves. FerretDB's bookkeeping tables start with `_ferretdb_`.
 */
export const MIRROR_INDEXES_SQL = `
SET client_min_messages = warning;

CREATE OR REPLACE FUNCTION sc_mirror_ferretdb_indexes() RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  source record;
  twin record;
BEGIN
  FOR source IN
    SELECT DISTINCT n.nspname AS schema_name, t.relname AS table_name,
           pg_get_indexdef(i.indexrelid, 1, true) AS expression
      FROM pg_index i
      JOIN pg_class ix ON ix.oid = i.indexrelid
      JOIN pg_am am ON am.oid = ix.relam AND am.amname = 'btree'
      JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE i.indisunique
       AND t.relname NOT LIKE '\\_ferretdb\\_%'
       AND pg_get_indexdef(i.indexrelid, 1, true) ~ '^\\(_jsonb -> ''[^'']+''::text\\)$'
       AND pg_get_indexdef(i.indexrelid, 1, true) <> '(_jsonb -> ''_id''::text)'
  LOOP
    CONTINUE WHEN EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace cn ON cn.oid = c.relnamespace
      WHERE cn.nspname = source.schema_name AND c.relname = '${GIN_TWIN_PREFIX}' || md5(source.table_name || source.expression));
    EXECUTE format('CREATE INDEX %I ON %I.%I USING gin (%s jsonb_path_ops) WITH (fastupdate = off)',
      '${GIN_TWIN_PREFIX}' || md5(source.table_name || source.expression),
      source.schema_name, source.table_name, source.expression);
  END LOOP;
  FOR twin IN
    SELECT n.nspname AS schema_name, ix.relname AS index_name
      FROM pg_index i
      JOIN pg_class ix ON ix.oid = i.indexrelid
      JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE ix.relname LIKE '${GIN_TWIN_PREFIX}%'
       AND NOT EXISTS (
         SELECT 1 FROM pg_index b
           JOIN pg_class bx ON bx.oid = b.indexrelid
           JOIN pg_am bam ON bam.oid = bx.relam AND bam.amname = 'btree'
          WHERE b.indrelid = i.indrelid AND b.indisunique
            AND pg_get_indexdef(b.indexrelid, 1, true) = pg_get_indexdef(i.indexrelid, 1, true))
  LOOP
    EXECUTE format('DROP INDEX IF EXISTS %I.%I', twin.schema_name, twin.index_name);
  END LOOP;
END
$fn$;

-- The twins' own CREATE and DROP INDEX fire the trigger again: a transaction-local flag
-- keeps those nested calls from working on a list the outer call is still going through.
CREATE OR REPLACE FUNCTION sc_mirror_ferretdb_indexes_trigger() RETURNS event_trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF coalesce(current_setting('sc.mirroring_indexes', true), '') = 'on' THEN
    RETURN;
  END IF;
  PERFORM set_config('sc.mirroring_indexes', 'on', true);
  PERFORM sc_mirror_ferretdb_indexes();
  PERFORM set_config('sc.mirroring_indexes', 'off', true);
END
$fn$;

DROP EVENT TRIGGER IF EXISTS sc_mirror_ferretdb_indexes;
CREATE EVENT TRIGGER sc_mirror_ferretdb_indexes ON ddl_command_end
  WHEN TAG IN ('CREATE INDEX', 'DROP INDEX')
  EXECUTE FUNCTION sc_mirror_ferretdb_indexes_trigger();

SELECT set_config('sc.mirroring_indexes', 'on', true);
SELECT sc_mirror_ferretdb_indexes();
`;
