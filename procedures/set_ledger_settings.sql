-- ledger.set_ledger_settings: a tenant's time zone and cut-off.
--
--   SELECT * FROM ledger.set_ledger_settings('Europe/Berlin', '17:00', tenant => 'acme');
--   SELECT * FROM ledger.set_ledger_settings(cutoff => '00:00');   -- keep the time zone
--
-- time_zone  an IANA name PostgreSQL knows (e.g. Europe/Berlin, UTC); NULL keeps it
-- cutoff     local time at which the business day ends, 00:00 (midnight) to 23:59:59;
--            NULL keeps it
-- Returns the tenant's status (ledger.eod_status). Closed dates stay closed: a change moves
-- only the dates of later postings. Raises DX016 (below SERIALIZABLE), DX019 (tenant),
-- DX027 (unknown time zone, cut-off out of range).
-- Capability operate, on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.set_ledger_settings(
    time_zone text DEFAULT NULL,
    cutoff time DEFAULT NULL,
    tenant text DEFAULT NULL
) RETURNS ledger.eod_status
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_who ledger_private.principal;
BEGIN
    v_who := ledger_private.authorize_write('operate', set_ledger_settings.tenant);
    set_ledger_settings.tenant := v_who.tenant;
    IF set_ledger_settings.time_zone IS NOT NULL THEN
        -- An abbreviation (CET) or a POSIX offset (UTC+3) would ignore daylight saving
        -- or read backwards: only names of the zone database are taken.
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_timezone_names AS z
                        WHERE z.name = set_ledger_settings.time_zone) THEN
            RAISE EXCEPTION USING
                ERRCODE = 'DX027', COLUMN = 'time_zone',
                MESSAGE = format('time_zone: %s is not a time zone name',
                                 quote_literal(set_ledger_settings.time_zone)),
                HINT = 'Use an IANA zone name such as UTC, Europe/Berlin or America/New_York.';
        END IF;
    END IF;
    IF set_ledger_settings.cutoff >= '24:00' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX027', COLUMN = 'cutoff',
            MESSAGE = format('cutoff: %s is not a time of day before 24:00', set_ledger_settings.cutoff),
            HINT = '00:00 means midnight: the business date is the calendar date.';
    END IF;
    INSERT INTO ledger_private.ledger_settings AS s (tenant, time_zone, cutoff)
    VALUES (set_ledger_settings.tenant, coalesce(set_ledger_settings.time_zone, 'UTC'),
            coalesce(set_ledger_settings.cutoff, '00:00'))
    ON CONFLICT ON CONSTRAINT ledger_settings_pkey DO UPDATE
       SET time_zone = coalesce(set_ledger_settings.time_zone, s.time_zone),
           cutoff = coalesce(set_ledger_settings.cutoff, s.cutoff),
           updated_at = now();
    PERFORM ledger_private.append_audit(v_who, 'set_ledger_settings', NULL,
                                        jsonb_strip_nulls(jsonb_build_object(
                                            'time_zone', set_ledger_settings.time_zone,
                                            'cutoff', set_ledger_settings.cutoff)));
    RETURN ledger_private.tenant_eod_status(set_ledger_settings.tenant);
END
$$;

COMMENT ON FUNCTION ledger.set_ledger_settings(text, time, text) IS
    'Sets a tenant''s time zone and cut-off for business dates';
GRANT EXECUTE ON FUNCTION ledger.set_ledger_settings(text, time, text) TO doublex_api;
