-- ledger.eod_close: close a business date, and first, in order, every earlier open date on
-- which anything was posted.
--
--   BEGIN ISOLATION LEVEL READ COMMITTED;   -- recommended (see below); SERIALIZABLE works too
--   SELECT * FROM ledger.eod_close('2026-11-20');
--   COMMIT;
--   → business_date, closed_at, journals, legs, accounts, seal, previous_seal, trial_balance
--
-- For each date closed: one snapshot row per account of the tenant existing at the close,
-- moved or not (opening, debits, credits, closing; debits = credits = 0 and opening =
-- closing for an account that did not move), the trial balance per currency (must net to
-- zero, DX028), the close timestamp and the seal (SHA-256 over the date's journals and
-- legs, chained with the previous close's seal: ledger_private.day_seal). An earlier open
-- date on which nothing at all was posted is closed through (the guard refuses it) but
-- gets no record, snapshots or trial balance of its own, like a non-business day: its
-- balances are the previous closed date's closing ones (sql/README.md, "End of day").
-- The date becomes the backdating guard's boundary: postings dated on or before it are
-- refused (DX025). Closing a date that is closed already returns its close record again
-- and writes nothing (a date without activity that an earlier close covered: that close's
-- record). A date after the tenant's current business date is refused (DX026).
--
-- Race safety: the close takes each open date's fence key exclusively before it reads
-- anything (journal_date_guard in migrations/0007_end_of_day.sql): postings of those dates
-- that got their shared key first have to commit before it goes on, later ones wait for
-- its outcome and then retry, seeing the new boundary. At READ COMMITTED every statement
-- here reads a snapshot taken after that fence, so the snapshots hold every posting that
-- was accepted for the date, and postings of later dates never conflict with the close.
-- At SERIALIZABLE the transaction's snapshot predates the fence: SSI then aborts the close
-- (40001) when a posting of its dates committed in between, and on a busy ledger its wide
-- reads also conflict with unrelated postings; it is exact, just retried more.
-- Sends NOTICEs with the progress in steps, 1 + 3 per date (DETAIL: JSON {business_date,
-- phase, done, total}): 'fenced' once, then per date 'read' (every account's day and
-- opening balance), 'snapshots' (snapshots and trial balance written, netting to zero) and
-- 'sealed' (close record written).
-- Raises DX016 (REPEATABLE READ), DX019 (tenant), DX026 (future date), DX028 (trial balance
-- not zero), DX029 (no date), DX067 (a move fences the tenant).
-- Capability operate, on the caller's own tenant (tenant NULL or its name): DX040–DX043
-- (ledger_private.authorize, before anything is read).

CREATE OR REPLACE FUNCTION ledger.eod_close(
    business_date date,
    tenant text DEFAULT NULL
) RETURNS ledger.day_close
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_settings record;
    v_today date;
    v_covering date;
    v_dates date[];
    v_date date;
    v_seal bytea;
    v_closed_at timestamptz := now();
    v_done integer := 1;
    v_total integer;
    v_published bigint;
    v_who ledger_private.principal := ledger_private.authorize('operate', eod_close.tenant);
BEGIN
    eod_close.tenant := v_who.tenant;
    PERFORM ledger_private.require_isolation(
        ARRAY['read committed', 'serializable'], 'eod_close',
        'BEGIN ISOLATION LEVEL READ COMMITTED; SELECT * FROM ledger.eod_close(…); COMMIT;');
    PERFORM ledger_private.enter_tenant_writes(eod_close.tenant);
    PERFORM ledger_private.check_business_date(eod_close.business_date, 'business_date');

    -- One close of a tenant at a time; the next one reads what this one committed.
    PERFORM pg_advisory_xact_lock(hashtext('doublex.close'), hashtext(eod_close.tenant));
    SELECT coalesce(s.time_zone, 'UTC') AS time_zone, coalesce(s.cutoff, '00:00') AS cutoff,
           s.closed_through
      INTO v_settings
      FROM (SELECT 1) AS one
      LEFT JOIN ledger_private.ledger_settings AS s ON s.tenant = eod_close.tenant;

    IF eod_close.business_date <= v_settings.closed_through THEN
        SELECT min(c.business_date) INTO v_covering
          FROM ledger_private.day_close AS c
         WHERE c.tenant = eod_close.tenant AND c.business_date >= eod_close.business_date;
        RETURN ledger_private.to_day_close(eod_close.tenant, v_covering);
    END IF;
    v_today := ledger_private.business_date_at(now(), v_settings.time_zone, v_settings.cutoff);
    IF eod_close.business_date > v_today THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX026', COLUMN = 'business_date',
            MESSAGE = format('business_date: %s is after the current business date %s of tenant %s',
                             eod_close.business_date, v_today, eod_close.tenant),
            HINT = 'A date can be closed from its start on; the usual close is the previous date.';
    END IF;

    -- The fence: the key of every open date up to the one closed. Dates near the boundary
    -- have keys of their own; the rest (all of them before a tenant's first close) share the
    -- wide key, which close_fence_key gives them: how near is near is its to say, not ours.
    PERFORM pg_advisory_xact_lock(f.key)
       FROM (SELECT DISTINCT ledger_private.close_fence_key(
                        eod_close.tenant, d::date, v_settings.closed_through) AS key
               FROM generate_series(coalesce(v_settings.closed_through + 1, eod_close.business_date),
                                    eod_close.business_date, interval '1 day') AS d) AS f
      ORDER BY f.key;

    -- The dates to close: the open ones before it with journals on them (one index probe
    -- per distinct date), then the date itself.
    WITH RECURSIVE open_date (d) AS (
        SELECT min(j.effective_date) FROM ledger_private.journal AS j
         WHERE j.tenant = eod_close.tenant
           AND j.effective_date > coalesce(v_settings.closed_through, '-infinity')
           AND j.effective_date < eod_close.business_date
        UNION ALL
        SELECT (SELECT min(j.effective_date) FROM ledger_private.journal AS j
                 WHERE j.tenant = eod_close.tenant AND j.effective_date > o.d
                   AND j.effective_date < eod_close.business_date)
          FROM open_date AS o
         WHERE o.d IS NOT NULL
    )
    SELECT coalesce(array_agg(o.d ORDER BY o.d) FILTER (WHERE o.d IS NOT NULL), '{}')
           || eod_close.business_date
      INTO v_dates
      FROM open_date AS o;
    -- Progress in steps: the fence, then per date its three phases (close_business_date).
    v_total := 1 + 3 * cardinality(v_dates);
    RAISE NOTICE USING
        MESSAGE = format('eod_close: fenced; closing %s date(s) through %s',
                         cardinality(v_dates), eod_close.business_date),
        DETAIL = jsonb_build_object('business_date', NULL, 'phase', 'fenced', 'done', 1,
                                    'total', v_total)::text;

    SELECT c.seal INTO v_seal
      FROM ledger_private.day_close AS c
     WHERE c.tenant = eod_close.tenant
     ORDER BY c.business_date DESC
     LIMIT 1;
    v_seal := coalesce(v_seal, ''::bytea);
    FOREACH v_date IN ARRAY v_dates LOOP
        PERFORM set_config('doublex.eod_progress',
                           jsonb_build_object('done', v_done, 'total', v_total)::text, true);
        v_seal := ledger_private.close_business_date(eod_close.tenant, v_date, v_seal, v_closed_at,
                                                    v_who.actor);
        v_done := v_done + 3;
    END LOOP;
    PERFORM set_config('doublex.eod_progress', '', true);

    INSERT INTO ledger_private.ledger_settings AS s (tenant, closed_through, last_closed_at)
    VALUES (eod_close.tenant, eod_close.business_date, v_closed_at)
    ON CONFLICT ON CONSTRAINT ledger_settings_pkey DO UPDATE
       SET closed_through = excluded.closed_through, last_closed_at = excluded.last_closed_at,
           updated_at = now();
    -- Publish the close for postings whose snapshot predates it (journal_date_guard): in
    -- commit order, one close at a time from here to COMMIT. The previous latest, when it
    -- committed, becomes the prior one: the prior slot always holds a committed close.
    PERFORM pg_advisory_xact_lock(hashtext('doublex.close_publication'), 0);
    v_published := coalesce(pg_sequence_last_value('ledger_private.close_publication'), 0);
    IF v_published > 0 AND pg_xact_status(v_published::text::xid8) = 'committed' THEN
        PERFORM setval('ledger_private.close_publication_prior', v_published);
    END IF;
    PERFORM setval('ledger_private.close_publication', (pg_current_xact_id()::text)::bigint);
    PERFORM ledger_private.append_audit(v_who, 'eod_close', eod_close.business_date::text,
                                        jsonb_build_object('dates', v_dates));
    RETURN ledger_private.to_day_close(eod_close.tenant, eod_close.business_date);
END
$$;

COMMENT ON FUNCTION ledger.eod_close(date, text) IS
    'Closes a business date (and earlier open dates with activity): snapshots, trial balance, seal';
GRANT EXECUTE ON FUNCTION ledger.eod_close(date, text) TO doublex_api;
