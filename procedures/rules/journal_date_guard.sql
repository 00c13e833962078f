-- ledger_private.journal_date_guard() → trigger: the backdating guard on every journal
-- insert (DX029, DX025, 40001).
--
-- The backdating guard, on every journal insert (single, batch, reversal, and whatever
-- posting kind comes later, direct INSERTs by the owner too):
--   1. a date on or before the tenant's closed date is refused (DX025), and so is one
--      more than api_limit('effective_date_days_back') days before or
--      api_limit('effective_date_days_ahead') after the tenant's current business date
--      (DX029): a journal on any of 100,000 past dates would make the first close write a
--      snapshot of every account for each of them while it holds the posting fence;
--   2. the date's fence key is taken shared: a running close of that date holds it
--      exclusively, so the posting waits for the close's outcome, and a close waits for
--      postings of its dates that got here first (they commit before it reads);
--   3. a close that committed after this transaction's snapshot was taken (so step 1 read
--      an old boundary) makes the posting retry on a fresh snapshot (40001).
-- Reads one row nobody but closes and settings write, two sequences and a shared lock: no
-- write, no conflict between postings, no wait unless a close fences the posting's date.
-- (First defined in migrations/0007_end_of_day.sql; this file is its only home since.)

CREATE OR REPLACE FUNCTION ledger_private.journal_date_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_closed_through date;
    v_today date;
    v_published bigint;
BEGIN
    IF NOT isfinite(NEW.effective_date) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX029', COLUMN = 'effective_date',
            MESSAGE = format('effective_date: %s is not a business date', NEW.effective_date),
            HINT = 'Use a finite date (YYYY-MM-DD).';
    END IF;
    SELECT s.closed_through,
           ledger_private.business_date_at(now(), coalesce(s.time_zone, 'UTC'),
                                           coalesce(s.cutoff, '00:00'))
      INTO v_closed_through, v_today
      FROM (SELECT 1) AS one
      LEFT JOIN ledger_private.ledger_settings AS s ON s.tenant = NEW.tenant;
    IF NEW.effective_date <= v_closed_through THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX025', COLUMN = 'effective_date',
            MESSAGE = format('effective_date: business date %s is closed in tenant %s (closed through %s)',
                             NEW.effective_date, NEW.tenant, v_closed_through),
            DETAIL = 'Postings may not be dated on or before the latest closed business date.',
            HINT = 'Post with a later date, or leave effective_date out to get the next open date.';
    END IF;
    IF NEW.effective_date NOT BETWEEN v_today - ledger_private.api_limit('effective_date_days_back')
                                  AND v_today + ledger_private.api_limit('effective_date_days_ahead') THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX029', COLUMN = 'effective_date',
            MESSAGE = format('effective_date: %s is more than %s days %s the current business date %s of tenant %s',
                             NEW.effective_date,
                             CASE WHEN NEW.effective_date < v_today
                                  THEN ledger_private.api_limit('effective_date_days_back')
                                  ELSE ledger_private.api_limit('effective_date_days_ahead') END,
                             CASE WHEN NEW.effective_date < v_today THEN 'before' ELSE 'after' END,
                             v_today, NEW.tenant),
            DETAIL = format('Journals may be dated from %s to %s.',
                            v_today - ledger_private.api_limit('effective_date_days_back'),
                            v_today + ledger_private.api_limit('effective_date_days_ahead')),
            HINT = 'Leave effective_date out to post on the current business date.';
    END IF;
    PERFORM pg_advisory_xact_lock_shared(
        ledger_private.close_fence_key(NEW.tenant, NEW.effective_date, v_closed_through));
    -- The common case in one test: this snapshot shows the latest close. The sequence is
    -- NULL until the first close, and NULL AND … would evaluate close_missed() every time.
    v_published := coalesce(pg_sequence_last_value('ledger_private.close_publication'), 0);
    IF v_published > 0
       AND NOT pg_visible_in_snapshot(v_published::text::xid8, pg_current_snapshot())
       AND ledger_private.close_missed() THEN
        RAISE EXCEPTION USING
            ERRCODE = 'serialization_failure',
            MESSAGE = 'a business-day close committed while this posting ran',
            HINT = 'Retry the transaction: it will see the new closed date.';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION ledger_private.journal_date_guard() IS
    'Trigger: the backdating guard (DX029 non-finite date or beyond the window, DX025 closed date, fence lock, 40001 after a missed close)';
