-- Roll back 0022_webhooks: the delivery history, the endpoints and the result types (with
-- the functions that return them).

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

SET LOCAL ROLE doublex_owner;
-- The helpers of procedures/ that take or answer the endpoint's row (a dependency on it).
DROP FUNCTION IF EXISTS ledger_private.tenant_webhook(text, text, boolean);
DROP FUNCTION IF EXISTS ledger_private.to_webhook_info(ledger_private.webhook);
DROP TABLE ledger_private.webhook_delivery;
DROP TABLE ledger_private.webhook;
DROP TYPE IF EXISTS ledger.webhook_info CASCADE;
DROP TYPE IF EXISTS ledger.new_webhook CASCADE;
DROP TYPE IF EXISTS ledger.webhook_delivery_info CASCADE;
DROP TYPE IF EXISTS ledger.webhook_claim CASCADE;
DROP TYPE IF EXISTS ledger.webhook_record_result CASCADE;
DROP TYPE IF EXISTS ledger.webhook_endpoint CASCADE;
RESET ROLE;
