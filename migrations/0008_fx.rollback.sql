-- Roll back 0008: the FX types, settlements and rates (the functions that use them go with
-- the types).

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DROP TYPE IF EXISTS ledger.fx_position_line CASCADE;
DROP TYPE IF EXISTS ledger.fx_settlement_result CASCADE;
DROP TYPE IF EXISTS ledger.fx_quote CASCADE;
DROP FUNCTION IF EXISTS ledger_private.to_fx_settlement_result(ledger_private.fx_settlement, text);
DROP TABLE IF EXISTS ledger_private.fx_settlement;
DROP TABLE IF EXISTS ledger_private.fx_rate;
-- The private helpers only FX uses (the API functions went with their types).
DROP FUNCTION IF EXISTS ledger_private.fx_clearing_account(text, text);
DROP FUNCTION IF EXISTS ledger_private.find_posting_account(text, text, text);
DROP FUNCTION IF EXISTS ledger_private.check_fx_pair(text, text);
DROP FUNCTION IF EXISTS ledger_private.check_fx_rate_value(numeric, text);
DROP FUNCTION IF EXISTS ledger_private.round_half_even(numeric, numeric, integer);
