-- ledger_private.day_seal(tenant, business_date, previous_seal) → SHA-256 of a business
-- date's journals and legs, chained with the previous close's seal (empty for the first).
--
-- Canonical form: each journal is digested on its own, fields in a fixed order and nulls
-- spelt NULL (format %L), its legs in leg order with every stored column; the date's seal is
-- SHA-256(previous seal ‖ tenant|date ‖ journal digests in journal id order). Digesting per
-- journal keeps every value far below PostgreSQL's 1 GB limit whatever the day's volume.
-- ledger.eod_close() writes the seal, ledger.verify_seals() recomputes it: one definition.

CREATE OR REPLACE FUNCTION ledger_private.day_seal(p_tenant text, p_date date, p_previous bytea)
RETURNS bytea
LANGUAGE sql STABLE
AS $$
    SELECT sha256(p_previous
                  || convert_to(format('%s|%s', p_tenant, p_date), 'UTF8')
                  || coalesce(string_agg(d.digest, ''::bytea ORDER BY d.journal_id), ''::bytea))
      FROM (SELECT j.journal_id,
                   sha256(convert_to(format(
                       '%s|%L|%s|%s|%s|%L|%L|%s|%L|%s',
                       j.journal_id, j.idempotency_key, j.kind, j.effective_date,
                       to_char(j.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
                       j.memo, j.ref, j.metadata, j.reverses, l.legs), 'UTF8')) AS digest
              FROM ledger_private.journal AS j
             CROSS JOIN LATERAL (
                   SELECT string_agg(format('%s|%s|%s|%s|%s|%s|%s', l.leg_no, l.account_id,
                                            l.side, l.amount, l.ccy, l.tenant, l.effective_date),
                                     ';' ORDER BY l.leg_no) AS legs
                     FROM ledger_private.leg AS l
                    WHERE l.journal_id = j.journal_id) AS l
             WHERE j.tenant = p_tenant AND j.effective_date = p_date) AS d
$$;

COMMENT ON FUNCTION ledger_private.day_seal(text, date, bytea) IS
    'SHA-256 over a business date''s journals and legs, chained with the previous seal';
