-- ledger_private.journal_slot(journal_id) → integer: the transaction-local state slot of a
-- journal written by this transaction, or NULL.
--
-- A journal being written keeps its state in a transaction-local setting: tenant, effective
-- date, number of legs and, per currency, debits minus credits. Legs and the commit checks
-- read that state, not the tables. Why: under SERIALIZABLE, reading the journal or leg
-- primary key takes a predicate lock on its newest page, the very page every concurrent
-- posting inserts into (journal ids are time-ordered), which would turn unrelated postings
-- into serialization failures. The n-th journal of a transaction uses the setting
-- doublex.journal_<n> (doublex.journal_count says how many): a small set of names reused by
-- every transaction, because each new setting name stays in the session for good. Settings
-- end with their transaction (or rolled-back subtransaction), so a leg can join only a
-- journal created by its own transaction.
--
-- The posting path (ledger_private.post_journal_request and the batch) checks the journals
-- it writes itself, right after writing them: two or more legs, balanced per currency, the
-- non-negative policy. While it writes, it sets doublex.checked_inline = 'on' (and clears it
-- before returning): the journal's state records that the posting path vouches for it,
-- its legs skip the per-leg state bookkeeping, and the deferred constraint triggers are not
-- even queued (their WHEN clause), so a posting pays for its checks once. Anything written
-- while the flag is off (a direct INSERT by the owner, a leg added to a posted journal later
-- in the transaction) keeps every check below.
-- (First defined in migrations/0003_invariant_triggers.sql; this file is its only home since.)

CREATE OR REPLACE FUNCTION ledger_private.journal_slot(p_journal_id uuid) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_count integer := coalesce(nullif(current_setting('doublex.journal_count', true), ''), '0')::integer;
    v_hint integer := least(coalesce(nullif(current_setting('doublex.journal_hint', true), ''), '0')::integer,
                            v_count);
    v_id text := p_journal_id::text;
    v_state text;
BEGIN
    -- Legs follow their journal, so the newest slot is almost always the one. A batch writes
    -- its journals first and their legs next, in the same order, and commit-time checks
    -- come in insertion order too: the slot found last (the hint), or the one after it, is
    -- then the one, which keeps those lookups O(1) instead of a newest-first scan per leg.
    -- A slot is parsed only when its text contains the id.
    FOR v_slot IN greatest(v_hint, 1)..least(v_hint + 1, v_count) LOOP
        v_state := current_setting('doublex.journal_' || v_slot);
        IF strpos(v_state, v_id) > 0 AND v_state::jsonb ->> 'id' = v_id THEN
            IF v_slot <> v_hint THEN
                PERFORM set_config('doublex.journal_hint', v_slot::text, true);
            END IF;
            RETURN v_slot;
        END IF;
    END LOOP;
    FOR v_slot IN REVERSE v_count..1 LOOP
        v_state := current_setting('doublex.journal_' || v_slot);
        IF strpos(v_state, v_id) > 0 AND v_state::jsonb ->> 'id' = v_id THEN
            PERFORM set_config('doublex.journal_hint', v_slot::text, true);
            RETURN v_slot;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

COMMENT ON FUNCTION ledger_private.journal_slot(uuid) IS
    'Slot number of a journal''s transaction-local state (doublex.journal_<n>), NULL when this transaction did not write it';
