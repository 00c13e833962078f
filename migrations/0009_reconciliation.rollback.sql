-- Roll back 0009: the reconciliation functions, types and tables.

SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DROP FUNCTION IF EXISTS ledger.stage_statement(text);
DROP FUNCTION IF EXISTS ledger.import_statement(text, text, text, text);
DROP FUNCTION IF EXISTS ledger.recon_run(text, date, numeric, text);
DROP FUNCTION IF EXISTS ledger.recon_summaries(date, text, text);
DROP FUNCTION IF EXISTS ledger.recon_items(date, text, text);
DROP FUNCTION IF EXISTS ledger.recon_mismatch_totals(text);
DROP FUNCTION IF EXISTS ledger_private.latest_recon_runs(text, date, text);
DROP FUNCTION IF EXISTS ledger_private.to_recon_summary(ledger_private.recon_run, ledger_private.account);
DROP FUNCTION IF EXISTS ledger_private.recon_pair_greedy(smallint);
DROP FUNCTION IF EXISTS ledger_private.date_format_pattern(text);
DROP FUNCTION IF EXISTS ledger_private.is_ledger_temp_table(regclass);
DROP TYPE IF EXISTS ledger.recon_mismatch_total;
DROP TYPE IF EXISTS ledger.recon_item;
DROP TYPE IF EXISTS ledger.recon_summary;
DROP TYPE IF EXISTS ledger.statement_import_result;
DROP TABLE IF EXISTS ledger_private.recon_outcome;
DROP TABLE IF EXISTS ledger_private.recon_run;
DROP TABLE IF EXISTS ledger_private.statement_line;
DROP TABLE IF EXISTS ledger_private.statement_import;
