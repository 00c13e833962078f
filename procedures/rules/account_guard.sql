-- ledger_private.account_guard() → trigger: accounts are never removed and their identity
-- never changes (DX017).
--
-- Accounts are never deleted (legs refer to them) and their identity never changes:
-- tenant, code, currency, type and balance policy are fixed at creation.
-- (First defined in migrations/0003_invariant_triggers.sql; this file is its only home since.)

CREATE OR REPLACE FUNCTION ledger_private.account_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX017',
            MESSAGE = format('accounts cannot be removed: %s is not allowed', TG_OP),
            HINT = 'Close the account with ledger.set_account_status() instead.';
    END IF;
    IF (NEW.tenant, NEW.code, NEW.ccy, NEW.type, NEW.allow_negative, NEW.created_by)
        IS DISTINCT FROM (OLD.tenant, OLD.code, OLD.ccy, OLD.type, OLD.allow_negative, OLD.created_by) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'DX017',
            MESSAGE = format('account %s: tenant, code, ccy, type, allow_negative and created_by are immutable',
                             OLD.code),
            HINT = 'Open a new account and move the balance with a journal.';
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION ledger_private.account_guard() IS
    'Trigger: accounts are never deleted or truncated; tenant, code, ccy, type, allow_negative and created_by are immutable (DX017)';
