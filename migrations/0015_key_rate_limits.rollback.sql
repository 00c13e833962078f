-- Roll back 0015_key_rate_limits: the keys lose their rate limits (columns, backstops and
-- the attributes of the key types). The helpers procedures/ added with 0015 that return the
-- key table's row type go too (0012's rollback drops that table without CASCADE; the
-- procedures of the version rolled back to are re-applied by its `doublex migrate`).
-- squawk-ignore-file ban-drop-column

SET LOCAL ROLE doublex_owner;
SET LOCAL lock_timeout = '5s';
SET LOCAL statement_timeout = '5min';

DROP FUNCTION IF EXISTS ledger_private.active_api_key(text);
DROP FUNCTION IF EXISTS ledger_private.tenant_api_key(text, text, boolean);
ALTER TYPE ledger.api_key_info
    DROP ATTRIBUTE burst,
    DROP ATTRIBUTE requests_per_second;
ALTER TYPE ledger.new_api_key
    DROP ATTRIBUTE burst,
    DROP ATTRIBUTE requests_per_second;
ALTER TABLE ledger_private.api_key
    DROP COLUMN burst,
    DROP COLUMN requests_per_second;

RESET ROLE;
