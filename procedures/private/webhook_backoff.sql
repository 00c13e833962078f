-- ledger_private.webhook_backoff(attempts, base_seconds, cap_seconds) → interval: how long a
-- failing endpoint waits before its next attempt: exponential (base · 2^(attempts−1), at
-- most cap) with "equal jitter" (half of it fixed, half random), so endpoints that failed
-- together do not all come back at once (ledger.record_webhook_deliveries).

CREATE OR REPLACE FUNCTION ledger_private.webhook_backoff(
    p_attempts integer, p_base_seconds double precision, p_cap_seconds double precision
) RETURNS interval
LANGUAGE sql VOLATILE
AS $$
    SELECT make_interval(secs => d * (0.5 + random() / 2))
      FROM (SELECT least(p_cap_seconds,
                         p_base_seconds * power(2, least(greatest(p_attempts, 1), 60) - 1)) AS d) AS b
$$;

COMMENT ON FUNCTION ledger_private.webhook_backoff(integer, double precision, double precision) IS
    'Exponential backoff with equal jitter before a failing endpoint''s next attempt';
