-- ledger.verify_seals: tamper evidence. Recomputes every close's seal from the journals and
-- legs as they are now and returns the closed dates whose data no longer match.
--
--   SELECT * FROM ledger.verify_seals();      -- no rows: every closed date is intact
--   → business_date, problem, stored_seal, computed_seal
--
-- problem  'data'      the date's journals or legs changed since it was closed
--          'chain'     the record's previous seal is not the seal of the close before it
--          'unsealed'  journals on a closed date that no close covers (written around
--                      the backdating guard)
-- Each date is recomputed with its own stored previous seal, so a change shows on the date
-- it touched, not on every later one. Reads everything closed: run it as a report
-- (READ ONLY). Raises DX019 (tenant).
-- Capability read (or audit), on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.verify_seals(
    tenant text DEFAULT NULL
) RETURNS SETOF ledger.seal_problem
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_closed_through date;
BEGIN
    verify_seals.tenant := (ledger_private.authorize('read', verify_seals.tenant)).tenant;
    SELECT s.closed_through INTO v_closed_through
      FROM ledger_private.ledger_settings AS s WHERE s.tenant = verify_seals.tenant;
    RETURN QUERY
        WITH RECURSIVE closes AS (
            SELECT c.business_date, c.seal, c.previous_seal,
                   coalesce(lag(c.seal) OVER (ORDER BY c.business_date), ''::bytea) AS prior_seal,
                   ledger_private.day_seal(verify_seals.tenant, c.business_date, c.previous_seal)
                       AS computed
              FROM ledger_private.day_close AS c
             WHERE c.tenant = verify_seals.tenant
        ), journal_date (d) AS (
            -- Distinct dates with journals up to the boundary, one index probe each.
            SELECT min(j.effective_date) FROM ledger_private.journal AS j
             WHERE j.tenant = verify_seals.tenant AND j.effective_date <= v_closed_through
            UNION ALL
            SELECT (SELECT min(j.effective_date) FROM ledger_private.journal AS j
                     WHERE j.tenant = verify_seals.tenant AND j.effective_date > o.d
                       AND j.effective_date <= v_closed_through)
              FROM journal_date AS o
             WHERE o.d IS NOT NULL
        )
        SELECT p.business_date, p.problem, p.stored_seal, p.computed_seal
          FROM (SELECT c.business_date, 'data'::text AS problem, encode(c.seal, 'hex') AS stored_seal,
                       encode(c.computed, 'hex') AS computed_seal
                  FROM closes AS c WHERE c.computed <> c.seal
                UNION ALL
                SELECT c.business_date, 'chain', encode(c.previous_seal, 'hex'),
                       encode(c.prior_seal, 'hex')
                  FROM closes AS c WHERE c.previous_seal <> c.prior_seal
                UNION ALL
                SELECT o.d, 'unsealed', NULL, NULL
                  FROM journal_date AS o
                 WHERE o.d IS NOT NULL
                   AND NOT EXISTS (SELECT FROM ledger_private.day_close AS c
                                    WHERE c.tenant = verify_seals.tenant AND c.business_date = o.d))
               AS p
         ORDER BY p.business_date, p.problem;
END
$$;

COMMENT ON FUNCTION ledger.verify_seals(text) IS
    'Closed dates whose journals, legs or seal chain no longer match their seal';
GRANT EXECUTE ON FUNCTION ledger.verify_seals(text) TO doublex_api;
