-- ledger_private.refuse_history_change() → trigger: refuses UPDATE, DELETE and TRUNCATE on
-- history tables (DX017).
--
-- Journals, legs and idempotency sentinels are history: never updated, deleted or
-- truncated. A mistake is corrected by a reversal journal.
-- (First defined in migrations/0003_invariant_triggers.sql; this file is its only home since.)

CREATE OR REPLACE FUNCTION ledger_private.refuse_history_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        ERRCODE = 'DX017',
        MESSAGE = format('%s is append-only: %s is not allowed', TG_TABLE_NAME, TG_OP),
        DETAIL = 'Journals, legs and idempotency keys are permanent history.',
        HINT = 'Correct a posting with ledger.reverse_journal().';
END
$$;

COMMENT ON FUNCTION ledger_private.refuse_history_change() IS
    'Trigger: history tables are append-only (DX017 on UPDATE, DELETE, TRUNCATE)';
