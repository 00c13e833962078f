-- ledger_private.journal_state(slot) → jsonb: the transaction-local state held in slot
-- doublex.journal_<slot>.
-- (First defined in migrations/0003_invariant_triggers.sql; this file is its only home since.)

CREATE OR REPLACE FUNCTION ledger_private.journal_state(p_slot integer) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT current_setting('doublex.journal_' || p_slot)::jsonb
$$;

COMMENT ON FUNCTION ledger_private.journal_state(integer) IS
    'Transaction-local state of the journal in a slot (see journal_slot)';
