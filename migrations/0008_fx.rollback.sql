-- Roll back 0008: the FX types, settlements and rates (the functions that use them go with
-- the types).

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DROP TYPE IF EXISTS ledger.fx_position_line CASCADE;
DROP TYPE IF EXISTS ledger.fx_settlement_result CASCADE;
DROP TYPE IF EXISTS ledger.fx_quote CASCADE;
DROP TABLE IF EXISTS ledger_private.fx_settlement;
DROP TABLE IF EXISTS ledger_private.fx_rate;
