-- ledger.reverse_journal: post the mirror of a journal (every leg's side swapped), once.
--
--   SELECT * FROM ledger.reverse_journal('0192f0c4-…', 'rev-tx-0c47a2', 'duplicate charge');
--
-- The reversal is a new journal of kind 'reversal' dated the current business date; the
-- original stays as it was. Replaying the same key returns the reversal with 'duplicate'.
-- Raises DX019 (malformed tenant), DX013 (unknown journal), DX014 (already reversed), DX016 (below SERIALIZABLE),
-- DX022 (a reversal cannot be reversed) and every posting error, e.g. DX007 when an account
-- has been frozen since.
-- Capability post, on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.reverse_journal(
    journal_id uuid,
    idempotency_key text,
    memo text DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS ledger.posting_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal;
    v_original ledger_private.journal;
    v_legs jsonb;
BEGIN
    -- Refuse a weak isolation before reading anything, like every other write function
    -- (otherwise a caller at READ COMMITTED gets DX013/DX022 instead of DX016).
    v_who := ledger_private.authorize_write('post', reverse_journal.tenant);
    reverse_journal.tenant := v_who.tenant;
    v_original := ledger_private.find_journal(reverse_journal.tenant, reverse_journal.journal_id);
    IF v_original.kind = 'reversal' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX022', COLUMN = 'journal_id',
            MESSAGE = format('journal_id: journal %s is itself a reversal of %s',
                             v_original.journal_id, v_original.reverses),
            HINT = 'Post the corrected movement as a new journal.';
    END IF;
    SELECT jsonb_agg(jsonb_build_object(
               'account', a.code,
               'side', CASE l.side WHEN 'debit' THEN 'credit' ELSE 'debit' END,
               'amount', l.amount::text,
               'ccy', l.ccy) ORDER BY l.leg_no)
      INTO v_legs
      FROM ledger_private.leg AS l
      JOIN ledger_private.account AS a ON a.account_id = l.account_id
     WHERE l.journal_id = v_original.journal_id;
    RETURN ledger_private.post_journal_request(
        reverse_journal.tenant, reverse_journal.idempotency_key, 'reverse_journal', v_legs, NULL,
        reverse_journal.memo, v_original.ref, '{}'::jsonb, 'reversal', v_original.journal_id,
        v_who.actor);
END
$$;

COMMENT ON FUNCTION ledger.reverse_journal(uuid, text, text, text) IS
    'Posts the mirror journal of a journal, at most once';
GRANT EXECUTE ON FUNCTION ledger.reverse_journal(uuid, text, text, text) TO doublex_api;
