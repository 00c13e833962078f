-- ledger_private.eod_progress_notice(progress, business_date, phase): the progress NOTICE
-- of ledger_private.close_business_date after one of its phases, when ledger.eod_close()
-- asked for them (progress = doublex.eod_progress: {done, total}, the steps done before this
-- date and in all; NULL: no notice). The phases, in their order, with what each says:
--   1 read       every account's day and opening balance read
--   2 snapshots  snapshots written, the trial balance nets to zero
--   3 sealed     the close record written with its seal
-- MESSAGE 'eod_close: <date> <what>'; DETAIL the JSON {business_date, phase, done (steps
-- done before the date + the phase's step), total} the CLI's progress bar reads.

CREATE OR REPLACE FUNCTION ledger_private.eod_progress_notice(
    p_progress jsonb, p_date date, p_phase text
) RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
DECLARE
    v_phase record;
BEGIN
    IF p_progress IS NULL THEN
        RETURN;
    END IF;
    SELECT s.step, s.what INTO STRICT v_phase
      FROM (VALUES (1, 'read', 'read: every account''s day and opening balance'),
                   (2, 'snapshots', 'snapshots written, trial balance nets to zero'),
                   (3, 'sealed', 'sealed')) AS s (step, phase, what)
     WHERE s.phase = p_phase;
    RAISE NOTICE USING
        MESSAGE = format('eod_close: %s %s', p_date, v_phase.what),
        DETAIL = jsonb_build_object('business_date', p_date, 'phase', p_phase,
                                    'done', (p_progress ->> 'done')::integer + v_phase.step,
                                    'total', p_progress -> 'total')::text;
END
$$;

COMMENT ON FUNCTION ledger_private.eod_progress_notice(jsonb, date, text) IS
    'The progress NOTICE of a business date''s close after a phase (nothing when none was asked for)';
