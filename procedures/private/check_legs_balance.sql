-- ledger_private.check_legs_balance(journal_id, legs): raises DX009 (raise_unbalanced) when
-- the legs array written for the journal does not net to zero in every currency
-- (unbalanced_currencies names them with their nets). The inline journal check of the
-- writers that vouch for what they write (post_journal_request, ledger.capture_hold),
-- called only when their one query over the legs found the journal unbalanced, or could
-- not know (a part of a hold).

CREATE OR REPLACE FUNCTION ledger_private.check_legs_balance(p_journal_id uuid, p_legs jsonb)
RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_unbalanced text := ledger_private.unbalanced_currencies(p_legs);
BEGIN
    IF v_unbalanced IS NOT NULL THEN  -- else balanced in each of several currencies
        PERFORM ledger_private.raise_unbalanced(p_journal_id, v_unbalanced);
    END IF;
END
$$;

COMMENT ON FUNCTION ledger_private.check_legs_balance(uuid, jsonb) IS
    'Raises DX009 when a journal''s legs array does not net to zero in every currency';
