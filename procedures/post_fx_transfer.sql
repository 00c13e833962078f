-- ledger.post_fx_transfer: move money between accounts of two currencies, idempotently, as
-- one FX settlement of two balanced journals (kind 'fx') posted in one transaction:
--   source journal       from_account → FX-CLEARING-<source ccy>        (source amount)
--   destination journal  FX-CLEARING-<destination ccy> → to_account     (destination amount)
--
--   SELECT * FROM ledger.post_fx_transfer('fx-7f3a', 'EUR-WALLET', 'USD-WALLET', 100.00);
--   SELECT * FROM ledger.post_fx_transfer('fx-7f3b', 'EUR-WALLET', 'USD-WALLET', 250.00,
--                                         fixed_side => 'destination', rate => 1.0852);
--   → settlement_id, status ('posted' | 'duplicate'), both accounts, currencies and amounts,
--     rate, rate_basis, rate_valid_on, fixed_side, residual, residual_ccy, both journal ids,
--     effective_date, created_at
--
-- "→" means: from_account's balance (on its normal side, whatever its type) goes down by
-- the source amount and to_account's goes up by the destination amount; each clearing
-- account takes the opposite leg.
-- idempotency_key  1–255 printable characters; ONE key covers the whole settlement (its
--                  two journals carry internal keys fx/<settlement_id>/source|destination)
-- amount           positive, at most the fixed side's currency decimals
-- fixed_side       'source': amount leaves from_account, the destination amount is
--                  amount × rate; 'destination': amount arrives on to_account, the source
--                  amount is amount / rate. The computed amount is rounded half-even to its
--                  currency's exponent; residual = exact − rounded, in that currency.
-- rate             1 source ccy = rate destination ccy; NULL → ledger.fx_rate() of the pair
--                  on the effective date ('direct' or 'inverted'), else 'override'
-- effective_date   NULL → the current business date (both journals share it)
-- memo, ref        copied to both journals
-- Same key and same request → the original settlement with status 'duplicate' (before any
-- business check); same key, different request → DX011. Any rejection, including every
-- posting rule of either journal (funds, frozen or closed accounts, closed dates), rejects
-- the whole settlement with nothing written.
-- Raises DX003, DX004, DX006, DX007, DX010, DX011, DX012, DX016, DX019, DX030 (rate),
-- DX031 (same currency), DX032 (no rate), DX033 (amount out of range after conversion),
-- DX034 (clearing account misshapen), DX067 (a move fences the tenant). Needs SERIALIZABLE.
-- Capability post, on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.post_fx_transfer(
    idempotency_key text,
    from_account text,
    to_account text,
    amount numeric,
    fixed_side text DEFAULT 'source',
    rate numeric DEFAULT NULL,
    effective_date date DEFAULT NULL,
    memo text DEFAULT NULL,
    ref text DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS ledger.fx_settlement_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize('post', post_fx_transfer.tenant);
    v_tenant text := v_who.tenant;
    v_key text := post_fx_transfer.idempotency_key;
    v_amount numeric := post_fx_transfer.amount;
    v_settlement ledger_private.fx_settlement;
    v_fingerprint bytea;
    v_from ledger_private.account;
    v_to ledger_private.account;
    v_source_clearing ledger_private.account;
    v_destination_clearing ledger_private.account;
    v_fixed_exponent smallint;
    v_source_exponent smallint;
    v_destination_exponent smallint;
    v_quote ledger.fx_quote;
    v_computed numeric;
BEGIN
    -- 1. Shape: nothing read yet.
    PERFORM ledger_private.require_serializable();
    PERFORM ledger_private.enter_tenant_writes(v_tenant);
    IF ledger_private.posting_field_problem(v_tenant, v_key, post_fx_transfer.memo,
                                            post_fx_transfer.ref, '{}'::jsonb) IS NOT NULL THEN
        PERFORM ledger_private.check_posting_fields(v_tenant, v_key, post_fx_transfer.memo,
                                                    post_fx_transfer.ref, '{}'::jsonb);
    END IF;
    IF post_fx_transfer.fixed_side IS NULL
       OR post_fx_transfer.fixed_side NOT IN ('source', 'destination') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX019', COLUMN = 'fixed_side',
            MESSAGE = format('fixed_side: must be source or destination, got %s',
                             coalesce(post_fx_transfer.fixed_side, 'NULL'));
    END IF;
    -- NaN equals itself and exceeds every number in PostgreSQL; Infinity exceeds any bound.
    IF v_amount IS NULL OR v_amount = 'NaN' OR v_amount <= 0
       OR v_amount >= power(10::numeric, ledger_private.api_limit('amount_digits')) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX003', COLUMN = 'amount',
            MESSAGE = format('amount: must be a positive decimal below 10^%s, got %s',
                             ledger_private.api_limit('amount_digits'), coalesce(v_amount::text, 'NULL'));
    END IF;
    IF post_fx_transfer.rate IS NOT NULL THEN
        PERFORM ledger_private.check_fx_rate_value(post_fx_transfer.rate, 'rate');
    END IF;

    -- 2. Idempotency through the same definitions as every journal posting (see
    -- claim_idempotency_key.sql and sql/README.md): the fingerprint of the canonical
    -- request (fingerprint_of), the key's lock and the sentinel row that claims it for the
    -- settlement (its journal_id column holds the settlement id). A replay is answered
    -- before any business check or rate lookup (a rate changed since must not turn a
    -- replay into a conflict).
    v_fingerprint := ledger_private.fingerprint_of(jsonb_build_object(
        'operation', 'post_fx_transfer',
        'from_account', post_fx_transfer.from_account,
        'to_account', post_fx_transfer.to_account,
        'amount', v_amount::text,
        'fixed_side', post_fx_transfer.fixed_side,
        'rate', post_fx_transfer.rate::text,
        'effective_date', post_fx_transfer.effective_date,
        'memo', post_fx_transfer.memo,
        'ref', post_fx_transfer.ref));
    v_settlement.settlement_id := ledger_private.uuid_v7();
    IF NOT ledger_private.claim_idempotency_key(v_tenant, v_key, 'post_fx_transfer', v_fingerprint,
                                                v_settlement.settlement_id) THEN
        PERFORM ledger_private.replay_posting(v_tenant, v_key, v_fingerprint);  -- DX011 if different
        SELECT s.* INTO v_settlement
          FROM ledger_private.fx_settlement AS s
         WHERE s.tenant = v_tenant AND s.idempotency_key = v_key;
        RETURN ledger_private.to_fx_settlement_result(v_settlement, 'duplicate');
    END IF;

    -- 3. The accounts, the rate and the amounts.
    v_from := ledger_private.find_posting_account(v_tenant, post_fx_transfer.from_account, 'from_account');
    v_to := ledger_private.find_posting_account(v_tenant, post_fx_transfer.to_account, 'to_account');
    IF v_from.ccy = v_to.ccy THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX031', COLUMN = 'to_account',
            MESSAGE = format('to_account: %s and %s both hold %s; an FX transfer needs two currencies',
                             v_from.code, v_to.code, v_to.ccy),
            HINT = 'Move money within one currency with ledger.post_journal().';
    END IF;
    SELECT c.exponent INTO v_source_exponent FROM ledger_private.currency AS c WHERE c.code = v_from.ccy;
    SELECT c.exponent INTO v_destination_exponent FROM ledger_private.currency AS c WHERE c.code = v_to.ccy;
    v_fixed_exponent := CASE post_fx_transfer.fixed_side WHEN 'source' THEN v_source_exponent
                                                         ELSE v_destination_exponent END;
    IF scale(v_amount) > v_fixed_exponent THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX004', COLUMN = 'amount',
            MESSAGE = format('amount: %s has more decimals than %s allows (%s)', v_amount,
                             CASE post_fx_transfer.fixed_side WHEN 'source' THEN v_from.ccy ELSE v_to.ccy END,
                             v_fixed_exponent),
            HINT = 'Amounts are never rounded silently; send the exact amount in minor units.';
    END IF;

    v_settlement.effective_date := coalesce(post_fx_transfer.effective_date,
                                            ledger_private.default_effective_date(v_tenant));
    IF post_fx_transfer.rate IS NOT NULL THEN
        v_settlement.rate := post_fx_transfer.rate;
        v_settlement.rate_basis := 'override';
    ELSE
        v_quote := ledger_private.fx_quote_on(v_tenant, v_from.ccy, v_to.ccy,
                                              v_settlement.effective_date, true);
        v_settlement.rate := v_quote.rate;
        v_settlement.rate_basis := v_quote.direction;
        v_settlement.rate_valid_on := v_quote.valid_on;
    END IF;

    -- Exact products and quotients, rounded half-even once (round_half_even.sql).
    IF post_fx_transfer.fixed_side = 'source' THEN
        v_settlement.source_amount := round(v_amount, v_source_exponent);
        v_computed := v_amount * v_settlement.rate;
        v_settlement.destination_amount := ledger_private.round_half_even(v_computed, 1, v_destination_exponent);
        v_settlement.residual := v_computed - v_settlement.destination_amount;
        v_settlement.residual_ccy := v_to.ccy;
    ELSE
        v_settlement.destination_amount := round(v_amount, v_destination_exponent);
        v_settlement.source_amount := ledger_private.round_half_even(v_amount, v_settlement.rate, v_source_exponent);
        -- amount / rate − rounded, itself a quotient: kept to 20 decimals (half-even).
        v_settlement.residual := ledger_private.round_half_even(
            v_amount - v_settlement.source_amount * v_settlement.rate, v_settlement.rate, 20);
        v_settlement.residual_ccy := v_from.ccy;
    END IF;
    v_settlement.residual := trim_scale(v_settlement.residual);
    v_computed := CASE post_fx_transfer.fixed_side WHEN 'source' THEN v_settlement.destination_amount
                                                   ELSE v_settlement.source_amount END;
    IF v_computed = 0 OR v_computed >= power(10::numeric, ledger_private.api_limit('amount_digits')) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX033', COLUMN = 'amount',
            MESSAGE = format('amount: %s %s at rate %s is %s %s after rounding, outside (0, 10^%s)',
                             v_amount, CASE post_fx_transfer.fixed_side WHEN 'source' THEN v_from.ccy ELSE v_to.ccy END,
                             v_settlement.rate, v_computed,
                             CASE post_fx_transfer.fixed_side WHEN 'source' THEN v_to.ccy ELSE v_from.ccy END,
                             ledger_private.api_limit('amount_digits')),
            HINT = 'Send a larger (or smaller) amount.';
    END IF;

    -- 4. The two journals, through the one posting path every journal takes (its checks,
    -- the journal and leg triggers, the default-date and backdating rules). Clearing
    -- accounts are opened in currency order: two settlements opening the same pair at once
    -- then wait on each other in one order, never in a cycle.
    IF v_from.ccy < v_to.ccy THEN
        v_source_clearing := ledger_private.fx_clearing_account(v_tenant, v_from.ccy, v_who.actor);
        v_destination_clearing := ledger_private.fx_clearing_account(v_tenant, v_to.ccy, v_who.actor);
    ELSE
        v_destination_clearing := ledger_private.fx_clearing_account(v_tenant, v_to.ccy, v_who.actor);
        v_source_clearing := ledger_private.fx_clearing_account(v_tenant, v_from.ccy, v_who.actor);
    END IF;
    -- Money leaves from_account (the side opposite its normal side) into the source
    -- clearing account, and arrives on to_account (its normal side) from the destination
    -- clearing account.
    v_settlement.source_journal_id := ledger_private.post_fx_journal(
        v_tenant, v_settlement.settlement_id, v_key, 'source', v_from.code, v_source_clearing.code,
        CASE v_from.normal_side WHEN 'debit' THEN 'credit' ELSE 'debit' END,
        v_settlement.source_amount, v_from.ccy, v_settlement.effective_date,
        post_fx_transfer.memo, post_fx_transfer.ref, v_who.actor);
    v_settlement.destination_journal_id := ledger_private.post_fx_journal(
        v_tenant, v_settlement.settlement_id, v_key, 'destination', v_destination_clearing.code,
        v_to.code, CASE v_to.normal_side WHEN 'debit' THEN 'credit' ELSE 'debit' END,
        v_settlement.destination_amount, v_to.ccy, v_settlement.effective_date,
        post_fx_transfer.memo, post_fx_transfer.ref, v_who.actor);

    -- 5. The settlement record linking them.
    v_settlement.tenant := v_tenant;
    v_settlement.idempotency_key := v_key;
    v_settlement.from_account_id := v_from.account_id;
    v_settlement.to_account_id := v_to.account_id;
    v_settlement.source_ccy := v_from.ccy;
    v_settlement.destination_ccy := v_to.ccy;
    v_settlement.fixed_side := post_fx_transfer.fixed_side;
    v_settlement.created_at := now();
    v_settlement.memo := post_fx_transfer.memo;
    v_settlement.ref := post_fx_transfer.ref;
    v_settlement.created_by := v_who.actor;
    INSERT INTO ledger_private.fx_settlement VALUES (v_settlement.*);
    RETURN ledger_private.to_fx_settlement_result(v_settlement, 'posted');
END
$$;

COMMENT ON FUNCTION ledger.post_fx_transfer(text, text, text, numeric, text, numeric, date, text, text, text) IS
    'Posts an FX settlement (two journals through the clearing accounts) idempotently';
GRANT EXECUTE ON FUNCTION ledger.post_fx_transfer(text, text, text, numeric, text, numeric, date, text, text, text) TO doublex_api;
