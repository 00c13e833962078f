-- uniform: a transfer between a random pair of the 1,000 seeded accounts (A0001…A1000).
-- One post_journal call per transaction, a fresh idempotency key each time.
\set a random(1, 1000)
\set b 1 + (:a + random(0, 998)) % 1000
\set cents random(1, 100000)
SELECT journal_id, status
  FROM post_journal(
         idempotency_key => gen_random_uuid()::text,
         legs => format(
             '[{"account":"A%s","side":"debit","amount":"%s","ccy":"EUR"},'
             '{"account":"A%s","side":"credit","amount":"%s","ccy":"EUR"}]',
             lpad(:a::text, 4, '0'), (:cents::numeric / 100)::numeric(12, 2),
             lpad(:b::text, 4, '0'), (:cents::numeric / 100)::numeric(12, 2))::jsonb);
