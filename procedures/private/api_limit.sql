-- ledger_private.api_limit(name) → integer: every size and count limit of the SQL API, in
-- one place. The checks compare against api_limit('…') and name the limit in their
-- messages from here, so a limit changes in this file only. SQL and IMMUTABLE: a call with
-- a constant name is inlined and folded to its constant when the calling query is planned,
-- so the hot paths pay nothing for the indirection. An unknown name is NULL (and fails
-- every comparison, which the pgTAP suite would show).
--   tenant_length           characters of a tenant name
--   idempotency_key_length  characters of an idempotency key
--   client_id_length        characters of a compatibility client id (its key is
--                           client_id:key, so that key gets what the ledger key leaves)
--   memo_length, ref_length characters of a journal's memo and external reference
--   metadata_bytes          bytes of a journal's metadata as JSON text
--   legs_min, legs_max      legs of one journal
--   batch_requests          requests of one post_journals batch
--   page_size               rows of one page (pages hold at least one)

CREATE OR REPLACE FUNCTION ledger_private.api_limit(p_name text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE p_name
               WHEN 'tenant_length' THEN 64
               WHEN 'idempotency_key_length' THEN 255
               WHEN 'client_id_length' THEN 64
               WHEN 'memo_length' THEN 1000
               WHEN 'ref_length' THEN 200
               WHEN 'metadata_bytes' THEN 16384
               WHEN 'legs_min' THEN 2
               WHEN 'legs_max' THEN 500
               WHEN 'batch_requests' THEN 1000
               WHEN 'page_size' THEN 1000
           END
$$;

COMMENT ON FUNCTION ledger_private.api_limit(text) IS
    'The size and count limits of the SQL API, by name (NULL for an unknown name)';
