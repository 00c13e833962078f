-- ledger_private.hold_leg_before_insert() → trigger: the row checks every hold leg passes,
-- whoever writes it: its hold exists (DX021), and ledger_private.checked_leg_amount (DX004-DX008).
-- The tenant is the hold's. (Declared in migrations/0017_holds_and_limits.sql.)

CREATE OR REPLACE FUNCTION ledger_private.hold_leg_before_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    SELECT h.tenant INTO NEW.tenant FROM ledger_private.hold AS h WHERE h.hold_id = NEW.hold_id;
    IF NOT FOUND THEN
        PERFORM ledger_private.raise_leg_error(
            'DX021', NEW.leg_no, 'hold_id', format('no hold %s', NEW.hold_id));
    END IF;
    NEW.amount := ledger_private.checked_leg_amount(NEW.tenant, NEW.account_id, NEW.leg_no,
                                                    NEW.ccy, NEW.amount);
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION ledger_private.hold_leg_before_insert() IS
    'Trigger: row checks on every hold leg (its hold, account, currency, status, decimals)';
