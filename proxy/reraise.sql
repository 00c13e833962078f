-- A shard's error as the shard raised it: PL/Proxy keeps the SQLSTATE but prefixes the
-- message ("<function>(<pid>): [<db>] REMOTE ERROR: "), the detail ("Remote detail: ") and
-- the hint ("Remote hint: ") and drops the column. The ledger's messages start with their
-- column ("legs[0].amount: …", the COLUMN of every RAISE in procedures/), which gives it back.

CREATE OR REPLACE FUNCTION ledger_proxy.reraise(
    p_state text, p_message text, p_detail text, p_hint text, p_column text
) RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_message text := regexp_replace(p_message, '^.*? REMOTE ERROR: ', '');
    v_detail text := nullif(regexp_replace(p_detail, '^Remote detail: ', ''), '');
    v_hint text := nullif(regexp_replace(p_hint, '^Remote hint: ', ''), '');
    v_column text := coalesce(
        nullif(p_column, ''),
        substring(v_message FROM '^([a-z_][a-z0-9_]*(?:\[[0-9]+\])?(?:\.[a-z_]+)*): '));
BEGIN
    -- RAISE refuses a NULL option: one statement per combination of those present.
    IF v_column IS NULL THEN
        IF v_detail IS NULL AND v_hint IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = p_state, MESSAGE = v_message;
        ELSIF v_hint IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = p_state, MESSAGE = v_message, DETAIL = v_detail;
        ELSIF v_detail IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = p_state, MESSAGE = v_message, HINT = v_hint;
        END IF;
        RAISE EXCEPTION USING ERRCODE = p_state, MESSAGE = v_message, DETAIL = v_detail,
                              HINT = v_hint;
    END IF;
    IF v_detail IS NULL AND v_hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = p_state, MESSAGE = v_message, COLUMN = v_column;
    ELSIF v_hint IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = p_state, MESSAGE = v_message, DETAIL = v_detail,
                              COLUMN = v_column;
    ELSIF v_detail IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = p_state, MESSAGE = v_message, HINT = v_hint,
                              COLUMN = v_column;
    END IF;
    RAISE EXCEPTION USING ERRCODE = p_state, MESSAGE = v_message, DETAIL = v_detail,
                          HINT = v_hint, COLUMN = v_column;
END
$$;
REVOKE ALL ON FUNCTION ledger_proxy.reraise(text, text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ledger_proxy.reraise(text, text, text, text, text)
    TO doublex_api, doublex_service;
