-- hot: a random customer account pays the one shared house account REVENUE (income).
-- Every posting touches REVENUE: the design must neither queue nor retry on it.
\set a random(1, 1000)
\set cents random(1, 100000)
SELECT journal_id, status
  FROM post_journal(
         idempotency_key => gen_random_uuid()::text,
         legs => format(
             '[{"account":"A%s","side":"debit","amount":"%s","ccy":"EUR"},'
             '{"account":"REVENUE","side":"credit","amount":"%s","ccy":"EUR"}]',
             lpad(:a::text, 4, '0'), (:cents::numeric / 100)::numeric(12, 2),
             (:cents::numeric / 100)::numeric(12, 2))::jsonb);
