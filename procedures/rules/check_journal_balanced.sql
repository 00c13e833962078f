-- ledger_private.check_journal_balanced(journal_id): the commit check of a journal: two or
-- more legs (DX002), balanced per currency (DX009).
--
-- At commit: a journal has at least two legs and, per currency, debits equal credits.
-- Checked once for the journal (a journal without legs fires no leg trigger) and again for
-- every leg, so that a leg added after an early check (SET CONSTRAINTS … IMMEDIATE) is
-- checked too. Both read the journal's transaction-local state, which every leg written
-- outside the posting path updated. A journal written by the posting path is marked
-- 'vouched' by its trigger (the flag was on): its own legs were checked there and are not
-- in its state, so the state holds exactly the legs added since, and those must net to
-- zero per currency.
-- (First defined in migrations/0003_invariant_triggers.sql; this file is its only home since.)

CREATE OR REPLACE FUNCTION ledger_private.check_journal_balanced(p_journal_id uuid) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_slot integer := ledger_private.journal_slot(p_journal_id);
    v_state jsonb := CASE WHEN v_slot IS NOT NULL THEN ledger_private.journal_state(v_slot) END;
    v_legs integer := coalesce((v_state ->> 'legs')::integer, 0);
    v_unbalanced text;
BEGIN
    IF v_legs = (v_state ->> 'checked_legs')::integer
       AND (v_legs >= 2 OR (v_state ->> 'vouched')::boolean) THEN
        RETURN;  -- checked already, and no leg has arrived since
    END IF;
    -- A journal the posting path vouches for had its legs checked there (at least two,
    -- balanced): its state counts only the legs added since, whose nets must be zero.
    IF v_legs < 2 AND NOT coalesce((v_state ->> 'vouched')::boolean, false) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX002', COLUMN = 'legs',
            MESSAGE = format('legs: journal %s has %s leg(s); a journal needs at least two',
                             p_journal_id, v_legs);
    END IF;
    -- The nets are exact jsonb numbers; a jsonpath test needs no query on the usual path.
    IF NOT jsonb_path_exists(v_state -> 'net', '$.* ? (@ != 0)') THEN
        PERFORM set_config('doublex.journal_' || v_slot,
                           jsonb_set(v_state, '{checked_legs}', to_jsonb(v_legs))::text, true);
        RETURN;
    END IF;
    SELECT string_agg(format('%s (debits − credits = %s)', n.key, n.value), ', ' ORDER BY n.key)
      INTO v_unbalanced
      FROM jsonb_each_text(v_state -> 'net') AS n
     WHERE n.value::numeric <> 0;
    PERFORM ledger_private.raise_unbalanced(p_journal_id, v_unbalanced);
END
$$;

COMMENT ON FUNCTION ledger_private.check_journal_balanced(uuid) IS
    'Commit check: a journal has at least two legs (DX002) and balances per currency (DX009)';
