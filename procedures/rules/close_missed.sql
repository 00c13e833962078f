-- ledger_private.close_missed() → boolean: did a close commit that this transaction's
-- snapshot does not show?
--
-- Did a close commit that this transaction's snapshot does not show? The latest close to
-- publish (close_publication) is checked; while it is still committing, or if it rolled
-- back, the one before it (close_publication_prior, always a committed close or 0) is.
-- Only called when the snapshot does not show the latest close: just after a close.
-- (First defined in migrations/0007_end_of_day.sql; this file is its only home since.)

CREATE OR REPLACE FUNCTION ledger_private.close_missed() RETURNS boolean
LANGUAGE plpgsql STABLE AS $$
DECLARE
    v_snapshot pg_snapshot := pg_current_snapshot();
    v_own bigint := (pg_current_xact_id_if_assigned()::text)::bigint;
    v_latest bigint := coalesce(pg_sequence_last_value('ledger_private.close_publication'), 0);
    v_prior bigint := coalesce(pg_sequence_last_value('ledger_private.close_publication_prior'), 0);
BEGIN
    IF v_latest = 0 OR v_latest = v_own OR pg_visible_in_snapshot(v_latest::text::xid8, v_snapshot) THEN
        RETURN false;
    END IF;
    IF pg_xact_status(v_latest::text::xid8) = 'committed' THEN
        RETURN true;
    END IF;
    RETURN v_prior <> 0 AND v_prior IS DISTINCT FROM v_own
           AND NOT pg_visible_in_snapshot(v_prior::text::xid8, v_snapshot);
END
$$;

COMMENT ON FUNCTION ledger_private.close_missed() IS
    'True when a business-day close committed that this transaction''s snapshot does not show';
