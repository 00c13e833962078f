-- batch100: one ledger.post_journals call with 100 uniform transfers (random pairs among
-- the 1,000 seeded accounts, fresh keys). The runner reports journals per second
-- (transactions × 100) and checks afterwards that every request was posted.
SELECT count(*) FILTER (WHERE r.status = 'posted') AS posted
  FROM post_journals((
         SELECT jsonb_agg(jsonb_build_object(
                  'idempotency_key', gen_random_uuid()::text,
                  'legs', jsonb_build_array(
                      jsonb_build_object('account', 'A' || lpad(p.a::text, 4, '0'),
                                         'side', 'debit', 'amount', p.amount, 'ccy', 'EUR'),
                      jsonb_build_object('account', 'A' || lpad(p.b::text, 4, '0'),
                                         'side', 'credit', 'amount', p.amount, 'ccy', 'EUR'))))
           FROM (SELECT q.a, 1 + (q.a + q.r) % 1000 AS b, q.amount
                   FROM (SELECT 1 + floor(random() * 1000)::int AS a,
                                floor(random() * 999)::int AS r,
                                round((1 + floor(random() * 100000))::numeric / 100, 2)::text
                                    AS amount
                           FROM generate_series(1, 100)) AS q) AS p)) AS r;
