-- ledger_private.journal_before_insert() → trigger: stamps the journal with the writing
-- transaction's id and opens its transaction-local state.
-- (First defined in migrations/0003_invariant_triggers.sql; this file is its only home since.)

CREATE OR REPLACE FUNCTION ledger_private.journal_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_slot integer := coalesce(nullif(current_setting('doublex.journal_count', true), ''), '0')::integer + 1;
BEGIN
    -- Balances read checkpoints below the watermark and legs above it by txid: the journal
    -- and its legs carry the writing transaction's id, whatever the INSERT said.
    NEW.txid := (pg_current_xact_id()::text)::bigint;
    PERFORM set_config('doublex.journal_count', v_slot::text, true);
    PERFORM set_config(
        'doublex.journal_' || v_slot,
        jsonb_build_object('id', NEW.journal_id, 'tenant', NEW.tenant,
                           'effective_date', NEW.effective_date, 'legs', 0, 'checked_legs', 0,
                           'net', '{}'::jsonb, 'constrained', '[]'::jsonb,
                           'vouched', current_setting('doublex.checked_inline', true) = 'on')::text,
        true);
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION ledger_private.journal_before_insert() IS
    'Trigger: stamps txid on a new journal and opens its transaction-local state';
