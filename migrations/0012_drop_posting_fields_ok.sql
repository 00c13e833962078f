-- Drop ledger_private.posting_fields_ok: the posting core checks its fields with
-- ledger_private.posting_field_problem now, and the file that defined posting_fields_ok is
-- gone from procedures/. post-apply only creates and replaces functions, so a database
-- migrated before that change still has it; this drops it there (IF EXISTS: a database
-- migrated since never had it).
-- depends: 0011_monitoring_asks_the_ledger

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

-- The function is private (ledger_private; no role but the owner calls it): no client
-- can break, so ban-drop-function does not apply.
-- squawk-ignore ban-drop-function
DROP FUNCTION IF EXISTS ledger_private.posting_fields_ok(text, text, text, text, jsonb);

RESET ROLE;
