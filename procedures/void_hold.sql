-- ledger.void_hold: release a pending hold without posting it, idempotently.
--
--   SELECT * FROM ledger.void_hold(hold_id => '0190…', idempotency_key => 'void-7f3a');
--   → hold_id, status ('voided' | 'duplicate'), journal_id NULL, effective_date NULL, resolved_at
--
-- Exclusive with capture and expiry (ledger_private.claim_hold_resolution): after a capture
-- DX050, a second void DX051, after expiry DX052; the same key replayed → duplicate; the key
-- reused for another request → DX011; no such hold → DX049. The key is unique per tenant
-- among captures and voids, apart from journal and hold keys.
-- Raises DX011, DX012, DX016, DX019, DX049–DX052.
-- Capability post, on the caller's own tenant (DX040–DX043, ledger_private.authorize first).

CREATE OR REPLACE FUNCTION ledger.void_hold(
    hold_id uuid,
    idempotency_key text,
    tenant text DEFAULT NULL
) RETURNS ledger.hold_resolution_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal := ledger_private.authorize_write('post', void_hold.tenant);
BEGIN
    IF ledger_private.posting_field_problem(v_who.tenant, void_hold.idempotency_key, NULL, NULL, '{}')
           IS NOT NULL THEN
        PERFORM ledger_private.check_posting_fields(v_who.tenant, void_hold.idempotency_key, NULL,
                                                    NULL, '{}');
    END IF;
    RETURN coalesce(
        ledger_private.claim_hold_resolution(
            v_who.tenant, void_hold.hold_id, void_hold.idempotency_key, 'voided',
            ledger_private.fingerprint_of(jsonb_build_object('operation', 'void_hold',
                                                             'hold_id', void_hold.hold_id)),
            v_who.actor),
        ROW(void_hold.hold_id, 'voided', NULL, NULL, now())::ledger.hold_resolution_result);
END
$$;

COMMENT ON FUNCTION ledger.void_hold(uuid, text, text) IS
    'Releases a pending hold without posting it; exclusive with capture and expiry';
GRANT EXECUTE ON FUNCTION ledger.void_hold(uuid, text, text) TO doublex_api;
