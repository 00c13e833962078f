-- hold: a card authorisation and its capture on the hot account: a random customer's hold
-- of an amount for REVENUE (ledger.create_hold), then its capture in full
-- (ledger.capture_hold, which posts the journal): two transactions, one journal. Read
-- against hot.sql (one post_journal to REVENUE) in the same run: the bar is hold@16 at
-- ≥ 60% of hot@16's journals/s with ≤ 1 retry per 100. A retried capture reruns the
-- script, so its hold stays pending (the report counts such holds).
\set a random(1, 1000)
\set cents random(1, 100000)
SELECT hold_id AS hid
  FROM create_hold(
         idempotency_key => gen_random_uuid()::text,
         legs => format(
             '[{"account":"A%s","side":"debit","amount":"%s","ccy":"EUR"},'
             '{"account":"REVENUE","side":"credit","amount":"%s","ccy":"EUR"}]',
             lpad(:a::text, 4, '0'), (:cents::numeric / 100)::numeric(12, 2),
             (:cents::numeric / 100)::numeric(12, 2))::jsonb) \gset
SELECT journal_id, status
  FROM capture_hold(hold_id => :hid, idempotency_key => gen_random_uuid()::text);
