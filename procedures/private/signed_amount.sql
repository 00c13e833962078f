-- ledger_private.signed_amount(side, amount) → numeric: a leg's contribution to its
-- journal's net in its currency (debits count up, credits down). A journal is balanced
-- when, per currency, the signed amounts of its legs add up to zero: the one definition
-- behind post_journal_request's check, the batch's, unbalanced_currencies,
-- ledger.monitor_unbalanced_journals and the ledger side of ledger.recon_run. SQL and
-- IMMUTABLE so that it is inlined into those aggregates.

CREATE OR REPLACE FUNCTION ledger_private.signed_amount(p_side text, p_amount numeric)
RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE p_side WHEN 'debit' THEN p_amount ELSE -p_amount END
$$;

COMMENT ON FUNCTION ledger_private.signed_amount(text, numeric) IS
    'A leg''s amount signed for its journal''s net: debits positive, credits negative';
