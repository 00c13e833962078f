-- pair: the same two accounts every time (A0001 → A0002): both sides are hot.
\set cents random(1, 100000)
SELECT journal_id, status
  FROM post_journal(
         idempotency_key => gen_random_uuid()::text,
         legs => format(
             '[{"account":"A0001","side":"debit","amount":"%s","ccy":"EUR"},'
             '{"account":"A0002","side":"credit","amount":"%s","ccy":"EUR"}]',
             (:cents::numeric / 100)::numeric(12, 2),
             (:cents::numeric / 100)::numeric(12, 2))::jsonb);
