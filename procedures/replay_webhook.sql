-- ledger.replay_webhook: delivers a webhook endpoint's events again from a position of the
-- event log on (capability admin): its cursor goes back to just before `from_position` and
-- its failing streak is cleared, so the worker sends every event of its types from there
-- (again, for those already delivered: receivers de-duplicate by Event-Id). A delivery in
-- flight is recorded in the history and otherwise ignored. Audited.
--
--   SELECT * FROM ledger.replay_webhook('dxw_3f9a0c61b2d4', from_position => 1041);
--
-- from_position  1 or more (DX061); a position past the log's end waits for that event.
-- Raises DX016, DX019, DX040–DX043, DX060, DX061.

CREATE OR REPLACE FUNCTION ledger.replay_webhook(
    webhook_id text,
    from_position bigint,
    tenant text DEFAULT NULL
) RETURNS ledger.webhook_info
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize_write('admin', replay_webhook.tenant);
    v_hook ledger_private.webhook := ledger_private.tenant_webhook(replay_webhook.webhook_id, v_who.tenant, true);
BEGIN
    IF replay_webhook.from_position IS NULL OR replay_webhook.from_position < 1 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX061', COLUMN = 'from',
            MESSAGE = format('from: must be a position of 1 or more, got %s',
                             coalesce(replay_webhook.from_position::text, 'NULL')),
            HINT = 'Pass the position of the first event to deliver again (1: the start of the log).';
    END IF;
    UPDATE ledger_private.webhook AS w
       SET cursor = replay_webhook.from_position - 1, attempts = 0, failing_since = NULL,
           next_attempt_at = NULL, last_error = NULL, claim_token = NULL, claimed_until = NULL
     WHERE w.webhook_id = v_hook.webhook_id
    RETURNING w.* INTO v_hook;
    PERFORM ledger_private.append_audit(v_who, 'replay_webhook', v_hook.webhook_id,
                                        jsonb_build_object('from', replay_webhook.from_position));
    RETURN ledger_private.to_webhook_info(v_hook);
END
$$;

COMMENT ON FUNCTION ledger.replay_webhook(text, bigint, text) IS
    'Delivers a webhook endpoint''s events again from a position on';
GRANT EXECUTE ON FUNCTION ledger.replay_webhook(text, bigint, text) TO doublex_api;
